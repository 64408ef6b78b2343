using System.Data.Common;

namespace Autopack.Core.Configuration;

/// <summary>
/// Qdrant's gRPC endpoint and API key, from <c>ConnectionStrings__qdrant</c> (Aspire's <c>Endpoint=http://host:6334;Key=...</c>,
/// the grpc binding, or a bare URI) or <c>QDRANT_URL</c> + <c>QDRANT_API_KEY</c>. Absent means the embedded vector index.
/// </summary>
public sealed record QdrantConnection(Uri Endpoint, string? ApiKey)
{
    public static QdrantConnection? Resolve(string? aspireConnectionString, string? url, string? apiKey)
    {
        if (!string.IsNullOrWhiteSpace(aspireConnectionString))
        {
            if (Uri.TryCreate(aspireConnectionString, UriKind.Absolute, out var plain) && plain.Scheme.StartsWith("http"))
                return new QdrantConnection(plain, NullIfEmpty(apiKey));
            var parts = new DbConnectionStringBuilder();
            try { parts.ConnectionString = aspireConnectionString; }
            catch (ArgumentException) { throw Invalid(); }
            if (!parts.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint?.ToString(), UriKind.Absolute, out var parsed))
                throw Invalid();
            var key = parts.TryGetValue("Key", out var k) ? k?.ToString() : apiKey;
            return new QdrantConnection(parsed, NullIfEmpty(key));
        }
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) throw new FormatException($"QDRANT_URL '{url}' is not a URL.");
        return new QdrantConnection(u, NullIfEmpty(apiKey));
    }

    private static FormatException Invalid() =>
        new("ConnectionStrings__qdrant must be a URL or 'Endpoint=http://host:6334;Key=...' (Qdrant's gRPC endpoint).");

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
