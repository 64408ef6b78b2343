using System.Collections.Concurrent;
using Autopack.Api.Extensions;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>Counts open event streams, in total and per client, and refuses past the caps.</summary>
public sealed class SseConnections(IOptions<ApiLimitsOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _perClient = new();
    private int _total;

    public bool TryOpen(string client)
    {
        var o = options.Value;
        if (Interlocked.Increment(ref _total) > o.SseMaxConnections)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        var mine = _perClient.AddOrUpdate(client, 1, (_, n) => n + 1);
        if (mine > o.SseMaxPerClient)
        {
            Close(client);
            return false;
        }
        return true;
    }

    public void Close(string client)
    {
        Interlocked.Decrement(ref _total);
        if (_perClient.AddOrUpdate(client, 0, (_, n) => n - 1) <= 0) _perClient.TryRemove(KeyValuePair.Create(client, 0));
    }

    public SseStats Stats() => new(Volatile.Read(ref _total), _perClient.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value),
        options.Value.SseMaxConnections, options.Value.SseMaxPerClient);
}

/// <summary>GET /admin/sse/stats: streams open now, per client address, and the caps.</summary>
public sealed record SseStats(int Active, IReadOnlyDictionary<string, int> PerClient, int MaxTotal, int MaxPerClient);
