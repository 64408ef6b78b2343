namespace Autopack.Core.Configuration;

/// <summary>
/// Qdrant's REST endpoint and API key, from <c>ConnectionStrings__qdrant</c> (Aspire: <c>Endpoint=http://host:6333;Key=...</c>)
/// or <c>QDRANT_URL</c> + <c>QDRANT_API_KEY</c>. Absent means the embedded vector index.
/// </summary>
public sealed record QdrantConnection(Uri Endpoint, string? ApiKey)
{
    public static QdrantConnection? Resolve(string? aspireConnectionString, string? url, string? apiKey)
    {
        if (!string.IsNullOrWhiteSpace(aspireConnectionString))
        {
            if (Uri.TryCreate(aspireConnectionString, UriKind.Absolute, out var plain) && plain.Scheme.StartsWith("http"))
                return new QdrantConnection(plain, apiKey);
            string? endpoint = null, key = apiKey;
            foreach (var part in aspireConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var kv = part.Split('=', 2);
                if (kv.Length != 2) continue;
                if (kv[0].Equals("Endpoint", StringComparison.OrdinalIgnoreCase)) endpoint = kv[1];
                else if (kv[0].Equals("Key", StringComparison.OrdinalIgnoreCase)) key = kv[1];
            }
            if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var parsed))
                throw new FormatException("ConnectionStrings__qdrant must be a URL or 'Endpoint=http://host:6333;Key=...'.");
            return new QdrantConnection(parsed, string.IsNullOrEmpty(key) ? null : key);
        }
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) throw new FormatException($"QDRANT_URL '{url}' is not a URL.");
        return new QdrantConnection(u, string.IsNullOrEmpty(apiKey) ? null : apiKey);
    }
}
