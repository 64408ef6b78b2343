using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Autopack.Core.Configuration;

/// <summary>
/// Where the database is, parsed once from <c>ConnectionStrings__autopack</c> (Aspire convention, Npgsql
/// keywords or a URL) or <c>DATABASE_URL</c> (<c>postgresql://user:pass@host:port/db</c> or <c>sqlite:///path</c>).
/// </summary>
public sealed record DatabaseConnection(DatabaseProvider Provider, string ConnectionString, string MaskedUrl)
{
    public const string DefaultUrl = "sqlite:///autopack.db";

    /// <summary>First 12 hex chars of sha256 of the URL with credentials masked: equal for every service on the same database.</summary>
    public string Identity { get; } = ComputeIdentity(MaskedUrl);

    public static string ComputeIdentity(string maskedUrl) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(maskedUrl)))[..12];

    /// <summary>Aspire's connection string wins over DATABASE_URL; nothing set means the embedded SQLite file.</summary>
    public static DatabaseConnection Resolve(string? aspireConnectionString, string? databaseUrl, string stateRoot)
    {
        if (!string.IsNullOrWhiteSpace(aspireConnectionString))
            return aspireConnectionString.Contains("://", StringComparison.Ordinal)
                ? Parse(aspireConnectionString, stateRoot)
                : FromNpgsqlKeywords(aspireConnectionString);
        return Parse(string.IsNullOrWhiteSpace(databaseUrl) ? DefaultUrl : databaseUrl, stateRoot);
    }

    public static DatabaseConnection Parse(string url, string stateRoot)
    {
        url = url.Trim();
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)) return ParseSqlite(url, stateRoot);
        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return ParsePostgres(url);
        throw new FormatException($"Unsupported database URL scheme in '{MaskCredentials(url)}': use postgresql://user:pass@host:port/db or sqlite:///path.");
    }

    private static DatabaseConnection ParseSqlite(string url, string stateRoot)
    {
        // sqlite:///relative.db → relative to the state root; sqlite:////abs/path.db → absolute.
        var rest = url["sqlite:".Length..];
        if (!rest.StartsWith("///", StringComparison.Ordinal))
            throw new FormatException($"SQLite URL '{url}' must look like sqlite:///path (three slashes).");
        var path = rest[3..];
        if (path.Length == 0) throw new FormatException("SQLite URL has no file path.");
        var full = Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(stateRoot, path));
        return new DatabaseConnection(DatabaseProvider.Sqlite, $"Data Source={full};Pooling=True;Default Timeout=30", "sqlite:///" + full.TrimStart('/'));
    }

    private static DatabaseConnection ParsePostgres(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException($"PostgreSQL URL '{MaskCredentials(url)}' is not a valid postgresql://user:pass@host:port/db URL.");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0) throw new FormatException($"PostgreSQL URL '{MaskCredentials(url)}' names no database.");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database,
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var (key, value) in ParseQuery(uri.Query))
        {
            // libpq-style options that users commonly put in the URL.
            switch (key.ToLowerInvariant())
            {
                case "sslmode": b.SslMode = Enum.Parse<SslMode>(value, ignoreCase: true); break;
                case "application_name": b.ApplicationName = value; break;
                case "connect_timeout": b.Timeout = int.Parse(value); break;
                default: b[key] = value; break;
            }
        }
        return FromBuilder(b);
    }

    private static DatabaseConnection FromNpgsqlKeywords(string keywords)
    {
        NpgsqlConnectionStringBuilder b;
        try { b = new NpgsqlConnectionStringBuilder(keywords); }
        catch (ArgumentException ex) { throw new FormatException($"ConnectionStrings__autopack is not a valid PostgreSQL connection string: {ex.Message}"); }
        if (string.IsNullOrEmpty(b.Host)) throw new FormatException("ConnectionStrings__autopack names no Host.");
        return FromBuilder(b);
    }

    private static DatabaseConnection FromBuilder(NpgsqlConnectionStringBuilder b)
    {
        // Npgsql resets a pooled connection's session on every rent (a batch of six statements before the caller's own; a
        // seventh of PostgreSQL's CPU on a cached read). Autopack holds no session state across rents (the migration lock is
        // released in a finally, LISTEN has its own unpooled connection; an open transaction is still rolled back), so skip
        // it unless the URL says otherwise. ContainsKey is true for every keyword Npgsql knows: the built string holds only
        // the ones set, under their canonical names.
        if (!b.ConnectionString.Contains("No Reset On Close=", StringComparison.OrdinalIgnoreCase)) b.NoResetOnClose = true;
        var port = b.Port == 0 ? 5432 : b.Port;
        var masked = $"postgresql://***@{b.Host!.ToLowerInvariant()}:{port}/{b.Database}";
        return new DatabaseConnection(DatabaseProvider.Postgres, b.ConnectionString, masked);
    }

    private static IEnumerable<(string, string)> ParseQuery(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1]) : ""));

    /// <summary>Replaces user info in any URL with ***.</summary>
    public static string MaskCredentials(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return url;
        var at = url.IndexOf('@', scheme + 3);
        var slash = url.IndexOf('/', scheme + 3);
        if (at < 0 || (slash >= 0 && slash < at)) return url;
        return url[..(scheme + 3)] + "***" + url[at..];
    }

    public override string ToString() => MaskedUrl;
}
