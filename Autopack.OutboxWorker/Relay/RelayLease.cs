using Autopack.Core.Data;
using Autopack.Core.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Autopack.OutboxWorker.Relay;

/// <summary>
/// This relay's hold on the <c>outbox-relay</c> lease, renewed on its own timer (every third of the period) rather
/// than once per batch, so a batch slower than the lease (a cold start, a slow receiver, a starved CPU) does not
/// let it lapse and hand the same messages to the standby.
/// </summary>
/// <remarks>
/// <see cref="Holds"/> is the fence checked before every send. It trusts a renewal only until one period after the
/// renewal was <em>sent</em>, which is never later than the expiry the database wrote, so once it answers no, a
/// standby may own the messages and this relay must not send them. It reads the monotonic clock, which keeps
/// running while the process is paused.
/// </remarks>
public sealed class RelayLease(IAutopackDbFactory dbFactory, string holder, TimeSpan period, TimeSpan standbyRetry, TimeProvider time,
    ILogger logger)
{
    private readonly Lock _gate = new();
    private long? _term;
    private long _validUntil;
    private bool _announced;

    /// <summary>Our term while the lease is held, null otherwise (standby, or the last renewal is too old).</summary>
    public long? Term
    {
        get { lock (_gate) return time.GetTimestamp() < _validUntil ? _term : null; }
    }

    /// <summary>True while <paramref name="term"/> is still ours: nobody else can have taken the lease yet.</summary>
    public bool Holds(long term) => Term == term;

    /// <summary>Takes or renews the lease once; returns our term, or null when another relay holds it.</summary>
    public async Task<long?> RenewAsync(CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        // Opening a cold connection can take longer than the lease under load; only the statement's own time counts.
        await db.Database.OpenConnectionAsync(ct);
        var sentAt = time.GetTimestamp();
        var term = await LeaderLease.TryAcquireAsync(db, LeaderLease.OutboxRelay, holder, period, ct);
        bool changed;
        lock (_gate)
        {
            changed = !_announced || term != (time.GetTimestamp() < _validUntil ? _term : null);
            (_term, _announced) = (term, true);
            _validUntil = term is null ? 0 : sentAt + (long)(period.TotalSeconds * time.TimestampFrequency);
        }
        if (changed)
        {
            if (term is null) logger.LogInformation("Outbox relay {Holder} is standby", holder);
            else logger.LogInformation("Outbox relay {Holder} is leader with term {Term}", holder, term);
        }
        return term;
    }

    /// <summary>Renews until cancelled: every third of the period while leader, every <c>standbyRetry</c> as standby.</summary>
    public async Task KeepAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long? term = null;
            try { term = await RenewAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            // A failed renewal changes nothing here: the validity simply runs out and the relay stops sending.
            catch (Exception ex) { logger.LogWarning(ex, "Outbox lease renewal failed: {Error}", ex.GetBaseException().Message); }
            var wait = term is null ? standbyRetry : period / 3;
            try { await Task.Delay(wait, time, ct); } catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Gives the lease up at once (clean shutdown), so the standby need not wait for it to expire.</summary>
    public async Task ReleaseAsync()
    {
        lock (_gate) _validUntil = 0;
        await using var db = dbFactory.Create();
        await LeaderLease.ReleaseAsync(db, LeaderLease.OutboxRelay, holder, CancellationToken.None);
    }
}
