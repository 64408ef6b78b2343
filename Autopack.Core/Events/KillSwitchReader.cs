using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Events;

/// <summary>
/// Kill switches live in the database so every replica and executor sees the same state; reads are
/// cached for <see cref="MaxAge"/> so a toggle reaches everyone within seconds without a query per check.
/// </summary>
public sealed class KillSwitchReader(IAutopackDbFactory dbFactory, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    // One immutable snapshot, read once per call: Invalidate() may null the field on another thread
    // between a check and a use (a CI run caught exactly that as an ArgumentNullException).
    private volatile Snapshot? _cached;

    private sealed record Snapshot(IReadOnlyDictionary<string, bool> Switches, DateTimeOffset ReadAt);

    public void Dispose() => _gate.Dispose();

    public async Task<IReadOnlyDictionary<string, bool>> GetAllAsync(CancellationToken ct = default)
    {
        if (Fresh(_cached) is { } hit) return hit;
        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh(_cached) is { } again) return again;
            await using var db = dbFactory.Create();
            var stored = await db.KillSwitches.AsNoTracking().ToDictionaryAsync(k => k.Name, k => k.Enabled, ct);
            var all = KillSwitchNames.All.ToDictionary(n => n, n => stored.GetValueOrDefault(n));
            foreach (var (name, enabled) in stored) all.TryAdd(name, enabled);
            _cached = new Snapshot(all, time.GetUtcNow());
            return all;
        }
        finally { _gate.Release(); }
    }

    private IReadOnlyDictionary<string, bool>? Fresh(Snapshot? snapshot) =>
        snapshot is not null && time.GetUtcNow() - snapshot.ReadAt < MaxAge ? snapshot.Switches : null;

    /// <summary>True when <paramref name="name"/> or <c>disable_all</c> is on.</summary>
    public async Task<bool> IsEngagedAsync(string name, CancellationToken ct = default)
    {
        var all = await GetAllAsync(ct);
        return all.GetValueOrDefault(KillSwitchNames.DisableAll) || all.GetValueOrDefault(name);
    }

    public void Invalidate() => _cached = null;
}
