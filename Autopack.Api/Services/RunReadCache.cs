using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>
/// Serialized run reads (<c>GET /runs</c>, <c>GET /runs/{id}</c>) kept with the <see cref="RunVersions"/> version they
/// were read at. A request reads the current version first (one small statement) and gets the kept body only when the
/// versions are equal, so no replica ever answers older than the database; otherwise it reads and serializes anew.
/// The version also makes the ETag, the same on every replica for the same rows.
/// </summary>
public sealed class RunReadCache(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IDisposable
{
    /// <summary>Bodies kept at most, in bytes; the least recently used go first past it.</summary>
    public const long SizeLimitBytes = 64 * 1024 * 1024;

    private readonly MemoryCache bodies = new(new MemoryCacheOptions { SizeLimit = SizeLimitBytes });

    public sealed record Entry(string Version, byte[] Body, string ETag);

    /// <summary>
    /// The body for <paramref name="key"/> at <paramref name="version"/>: the kept one if it was read at that version,
    /// else <paramref name="read"/>'s result serialized and kept. <paramref name="read"/> runs after the version was taken,
    /// so what it returns is at least as new as the version it is kept under. Null when it returns null.
    /// </summary>
    public async Task<Entry?> GetAsync<T>(string key, string version, Func<Task<T?>> read) where T : class
    {
        if (bodies.TryGetValue(key, out Entry? kept) && kept!.Version == version) return kept;
        if (await read() is not { } value) return null;
        var entry = new Entry(version, JsonSerializer.SerializeToUtf8Bytes(value, json.Value.SerializerOptions), ETagOf(key, version));
        bodies.Set(key, entry, new MemoryCacheEntryOptions { Size = entry.Body.Length + 2 * (key.Length + version.Length) + 64, SlidingExpiration = TimeSpan.FromMinutes(5) });
        return entry;
    }

    private static string ETagOf(string key, string version) =>
        "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key + "\n" + version)).AsSpan(0, 12)) + "\"";

    public void Dispose() => bodies.Dispose();
}
