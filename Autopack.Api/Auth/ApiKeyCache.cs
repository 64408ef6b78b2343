using System.Collections.Concurrent;
using Autopack.Core.Domain;

namespace Autopack.Api.Auth;

/// <summary>
/// Valid API keys seen in the last <see cref="MaxAge"/>, by hash, so a request does not pay a key-store query.
/// Only found keys are kept (a new key works at once everywhere); a revocation takes effect at once on the replica
/// that made it and within <see cref="MaxAge"/> on the others.
/// </summary>
public sealed class ApiKeyCache(TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (ApiKey Key, DateTimeOffset ReadAt)> _byHash = new();

    public ApiKey? Get(string hash) =>
        _byHash.TryGetValue(hash, out var entry) && time.GetUtcNow() - entry.ReadAt < MaxAge ? entry.Key : null;

    public void Put(string hash, ApiKey key)
    {
        if (_byHash.Count > 10_000) _byHash.Clear(); // bounded: a flood of distinct valid keys cannot grow it without end
        _byHash[hash] = (key, time.GetUtcNow());
    }

    public void Forget(long keyId)
    {
        foreach (var (hash, entry) in _byHash)
            if (entry.Key.Id == keyId) _byHash.TryRemove(hash, out _);
    }
}
