using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Events;

/// <summary>
/// Kill switches live in the database so every replica and executor sees the same state; reads are
/// cached for <see cref="MaxAge"/> so a toggle reaches everyone within seconds without a query per check.
/// </summary>
public sealed class KillSwitchReader(IAutopackDbFactory dbFactory, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyDictionary<string, bool>? _cached;
    private DateTimeOffset _readAt;

    public async Task<IReadOnlyDictionary<string, bool>> GetAllAsync(CancellationToken ct = default)
    {
        if (_cached is not null && time.GetUtcNow() - _readAt < MaxAge) return _cached;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cached is not null && time.GetUtcNow() - _readAt < MaxAge) return _cached;
            await using var db = dbFactory.Create();
            var stored = await db.KillSwitches.AsNoTracking().ToDictionaryAsync(k => k.Name, k => k.Enabled, ct);
            var all = KillSwitchNames.All.ToDictionary(n => n, n => stored.GetValueOrDefault(n));
            foreach (var (name, enabled) in stored) all.TryAdd(name, enabled);
            _cached = all;
            _readAt = time.GetUtcNow();
            return all;
        }
        finally { _gate.Release(); }
    }

    /// <summary>True when <paramref name="name"/> or <c>disable_all</c> is on.</summary>
    public async Task<bool> IsEngagedAsync(string name, CancellationToken ct = default)
    {
        var all = await GetAllAsync(ct);
        return all.GetValueOrDefault(KillSwitchNames.DisableAll) || all.GetValueOrDefault(name);
    }

    public void Invalidate() => _cached = null;
}
