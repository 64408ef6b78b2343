using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Execution;

/// <summary>
/// Hands queued phases to executors. A claim is a conditional update (<c>state = QUEUED → EXECUTING</c>,
/// row count 1 wins) made while holding the run's row lock, so claims of one run are serialized and the
/// parallel limit and scope rules cannot be beaten by two executors racing. Order: run age, tier index,
/// phase index. Tiers are barriers: a phase waits until every phase of earlier tiers is COMPLETE or SKIPPED.
/// Every claim gets its own holder (<c>executor-a#1f2e3d4c</c>, see <see cref="ClaimedPhase"/>), the fence for renew,
/// release and every state change of the phase: when a stalled executor's lease expires and the phase is requeued,
/// a new claim — even by the same executor — fences the old one out.
/// </summary>
public sealed class PhaseClaimer(TimeProvider time)
{
    public static readonly PhaseState[] InFlight = [PhaseState.Executing, PhaseState.Gate, PhaseState.CiRunning];
    private static readonly RunState[] Claimable = [RunState.Queued, RunState.Running];

    public async Task<ClaimedPhase?> ClaimNextAsync(AutopackDbContext db, string workerId, TimeSpan lease, int maxParallelPerRun,
        CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var candidateRuns = await db.Runs.AsNoTracking()
            .Where(r => Claimable.Contains(r.State) && db.Phases.Any(p => p.RunId == r.Id && p.State == PhaseState.Queued && (p.NotBefore == null || p.NotBefore <= now)))
            .OrderBy(r => r.CreatedAt)
            .Select(r => r.Id)
            .Take(50)
            .ToListAsync(ct);
        // A run another claimer holds is passed over, not waited for; it is tried again (a few rounds) before giving up.
        for (var round = 0; round < 5; round++)
        {
            var busy = false;
            foreach (var runId in candidateRuns)
            {
                var (claimed, locked) = await TryClaimInRunAsync(db, runId, workerId, lease, maxParallelPerRun, ct);
                if (claimed is not null) return claimed;
                busy |= !locked;
            }
            if (!busy) return null;
        }
        return null;
    }

    /// <remarks>
    /// One transaction, rerun whole on a transient failure. A commit whose acknowledgement was lost is recognised by its run
    /// event (<see cref="TransactionExtensions"/>), so the claim it made is returned rather than tried again and lost.
    /// </remarks>
    private Task<(ClaimedPhase? Claimed, bool Locked)> TryClaimInRunAsync(AutopackDbContext db, string runId, string workerId, TimeSpan lease,
        int maxParallelPerRun, CancellationToken ct) => db.RunInTransactionAsync<(ClaimedPhase?, bool)>(async () =>
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Row lock on the run: claims of one run are serialized until commit. PostgreSQL skips a run that is locked
        // (another claimer or a state change holds it); SQLite has one writer at a time anyway.
        if (db.IsPostgres)
        {
            var locked = await db.Runs.FromSql($"SELECT * FROM runs WHERE id = {runId} FOR UPDATE SKIP LOCKED").AsNoTracking().ToListAsync(ct);
            if (locked.Count == 0) return (null, false);
            if (!Claimable.Contains(locked[0].State)) return (null, true);
        }
        else if (await db.Runs.Where(r => r.Id == runId && Claimable.Contains(r.State)).ExecuteUpdateAsync(s => s.SetProperty(r => r.UpdatedAt, now), ct) == 0)
        {
            return (null, true);
        }

        var phases = await db.Phases.AsNoTracking().Where(p => p.RunId == runId)
            .Select(p => new { p.Id, p.PhaseId, p.TierIndex, p.Index, p.State, p.ScopePaths, p.NotBefore })
            .ToListAsync(ct);
        var inFlight = phases.Where(p => InFlight.Contains(p.State)).ToList();
        if (inFlight.Count >= Math.Max(1, maxParallelPerRun)) return (null, true);
        var unfinished = phases.Where(p => p.State is not (PhaseState.Complete or PhaseState.Skipped)).ToList();
        var queued = phases.Where(p => p.State == PhaseState.Queued).OrderBy(p => p.TierIndex).ThenBy(p => p.Index).ToList();
        // A phase backing off after an executor error (not_before) waits; it still holds its place in the order.
        var pick = queued.FirstOrDefault(q => (q.NotBefore is null || q.NotBefore <= now) &&
            !unfinished.Any(u => u.TierIndex < q.TierIndex)
            && !inFlight.Any(f => ScopeOverlap.Overlaps(f.ScopePaths, q.ScopePaths))
            // An earlier queued phase of the same tier with an overlapping scope goes first.
            && !queued.Any(e => e.TierIndex == q.TierIndex && e.Index < q.Index && ScopeOverlap.Overlaps(e.ScopePaths, q.ScopePaths)));
        if (pick is null) return (null, true);

        PhaseTransitions.Ensure(PhaseState.Queued, PhaseState.Executing);
        var leaseUntil = now + lease;
        var holder = $"{workerId}#{Guid.NewGuid().ToString("N")[..8]}";
        var won = await db.Phases.Where(p => p.Id == pick.Id && p.State == PhaseState.Queued)
            .ExecuteUpdateAsync(s => s
                .SetProperty(p => p.State, PhaseState.Executing)
                .SetProperty(p => p.ClaimedBy, holder)
                .SetProperty(p => p.LeaseExpiresAt, leaseUntil)
                .SetProperty(p => p.StartedAt, p => p.StartedAt ?? now)
                .SetProperty(p => p.StatusReason, (string?)null)
                .SetProperty(p => p.UpdatedAt, now), ct);
        if (won != 1) return (null, true);

        var run = await db.Runs.SingleAsync(r => r.Id == runId, ct);
        if (run.State == RunState.Queued) await StateChanges.MoveRunAsync(db, run, RunState.Running, now, ct: ct);
        var phase = await db.Phases.AsNoTracking().SingleAsync(p => p.Id == pick.Id, ct);
        var payload = StateChanges.DescribePhase(phase, PhaseState.Queued);
        await RunEventWriter.AppendAsync(db, runId, EventTypes.PhaseState, payload, phase.PhaseId, ct);
        OutboxWriter.Publish(db, EventTypes.PhaseState, payload, runId);
        return (new ClaimedPhase(phase.Id, runId, phase.PhaseId, holder, leaseUntil), true);
    }, ct);

    /// <summary>Extends the lease; false when the phase is no longer this worker's (requeued, cancelled, finished).</summary>
    public async Task<bool> RenewAsync(AutopackDbContext db, ClaimedPhase claim, TimeSpan lease, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var renewed = await db.Phases
            .Where(p => p.Id == claim.PhaseRowId && p.ClaimedBy == claim.WorkerId && InFlight.Contains(p.State))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.LeaseExpiresAt, now + lease), ct);
        return renewed == 1;
    }

    /// <summary>
    /// Gives back phases whose executor died (lease expired). The transition table has no EXECUTING → QUEUED
    /// (an operator retry of a running phase must stay illegal), so a lost lease is recorded as FAILED
    /// (<c>LEASE_EXPIRED</c>) and requeued in the same transaction; the attempt count is kept, and a phase
    /// that has used all its attempts stays FAILED with <c>MAX_ATTEMPTS</c>.
    /// </summary>
    public async Task<int> RequeueExpiredLeasesAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var expired = await db.Phases.AsNoTracking()
            .Where(p => InFlight.Contains(p.State) && p.LeaseExpiresAt != null && p.LeaseExpiresAt < now)
            .OrderBy(p => p.LeaseExpiresAt)
            .Select(p => new { p.Id, p.RunId }).Take(50).ToListAsync(ct);
        var count = 0;
        foreach (var e in expired)
        {
            if (await ReleaseAsync(db, e.Id, e.RunId, null, ReasonCodes.LeaseExpired, "lease expired: executor stopped renewing", requireExpiredBefore: now, ct))
                count++;
        }
        return count;
    }

    /// <summary>
    /// Puts a phase this worker holds back in the queue (shutdown, kill switch). Same FAILED → QUEUED path as
    /// an expired lease, with the attempt count kept.
    /// </summary>
    public Task<bool> ReleaseAsync(AutopackDbContext db, ClaimedPhase claim, string reason, string note, CancellationToken ct = default) =>
        ReleaseAsync(db, claim.PhaseRowId, claim.RunId, claim.WorkerId, reason, note, null, ct);

    /// <remarks>
    /// Safe to rerun: every write is conditional on the phase still being in flight (and held by <paramref name="holder"/>),
    /// and a lost commit acknowledgement is recognised by its run event.
    /// </remarks>
    private Task<bool> ReleaseAsync(AutopackDbContext db, long phaseRowId, string runId, string? holder, string reason, string note,
        DateTime? requireExpiredBefore, CancellationToken ct) => db.RunInTransactionAsync(async () =>
    {
        var now = time.GetUtcNow().UtcDateTime;
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.UpdatedAt, now), ct);
        var phase = await db.Phases.SingleOrDefaultAsync(p => p.Id == phaseRowId, ct);
        if (phase is null || !InFlight.Contains(phase.State)) return false;
        if (holder is not null && phase.ClaimedBy != holder) return false;
        if (requireExpiredBefore is not null && !(phase.LeaseExpiresAt < requireExpiredBefore)) return false;
        // The holder's in-progress attempt will never report back.
        await db.PhaseAttempts.Where(a => a.RunId == runId && a.PhaseId == phase.PhaseId && a.Outcome == AttemptStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Outcome, AttemptStatus.Abandoned).SetProperty(a => a.FailureReason, reason).SetProperty(a => a.CompletedAt, now), ct);
        var exhausted = phase.Attempts >= phase.MaxAttempts;
        await StateChanges.MovePhaseAsync(db, phase, PhaseState.Failed, now, exhausted ? ReasonCodes.MaxAttempts : reason, note, ct);
        var run = await db.Runs.SingleAsync(r => r.Id == runId, ct);
        if (exhausted)
        {
            await RunRollup.ApplyAsync(db, run, now, ct);
        }
        else if (!run.State.IsFinished())
        {
            await StateChanges.MovePhaseAsync(db, phase, PhaseState.Queued, now, note: note, ct: ct);
        }
        return true;
    }, ct);
}
