using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// Operator actions on a run: cancel, resume after a budget pause, retry a failed phase. Each is one transaction, rerun whole
/// on a transient failure; a lost commit acknowledgement is recognised by the state change's run event, so the operator is
/// told Done, not Conflict, and nothing is written twice.
/// </summary>
public sealed class RunControl(IAutopackDbFactory dbFactory, TimeProvider time)
{
    public async Task<ControlResult> CancelAsync(string runId, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        return await db.RunInTransactionAsync<ControlResult>(async () =>
        {
            var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, ct);
            if (run is null) return new ControlResult.NotFound();
            if (run.State.IsFinished()) return new ControlResult.Conflict($"Run is already {EnumNames.ToWire(run.State)}.");
            var now = time.GetUtcNow().UtcDateTime;
            // Queued phases will never run; in-flight ones are stopped by their executor, which watches the run state.
            foreach (var phase in await db.Phases.Where(p => p.RunId == runId && p.State == PhaseState.Queued).ToListAsync(ct))
                await StateChanges.MovePhaseAsync(db, phase, PhaseState.Skipped, now, note: "run cancelled", ct: ct);
            await StateChanges.MoveRunAsync(db, run, RunState.Cancelled, now, "cancelled by operator", ct);
            return new ControlResult.Done();
        }, ct);
    }

    public async Task<ControlResult> ResumeAsync(string runId, long? tokenCap, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        return await db.RunInTransactionAsync<ControlResult>(async () =>
        {
            var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, ct);
            if (run is null) return new ControlResult.NotFound();
            if (run.State != RunState.Paused) return new ControlResult.Conflict($"Only a PAUSED run can be resumed; this one is {EnumNames.ToWire(run.State)}.");
            var cap = tokenCap ?? run.TokenCap;
            if (run.TokensUsed >= cap * RunCaps.PauseAtFraction)
                return new ControlResult.Conflict($"token_cap {cap} leaves no room: {run.TokensUsed} tokens are used and runs pause at {RunCaps.PauseAtFraction:P0}.");
            run.TokenCap = cap;
            await StateChanges.MoveRunAsync(db, run, RunState.Running, time.GetUtcNow().UtcDateTime, "resumed by operator", ct);
            return new ControlResult.Done();
        }, ct);
    }

    /// <summary>FAILED → QUEUED with a fresh attempt budget; a FAILED run goes back to RUNNING. Illegal moves throw (409 with the allowed moves).</summary>
    public async Task<ControlResult> RetryPhaseAsync(string runId, string phaseId, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        return await db.RunInTransactionAsync<ControlResult>(async () =>
        {
            var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, ct);
            var phase = await db.Phases.SingleOrDefaultAsync(p => p.RunId == runId && p.PhaseId == phaseId, ct);
            if (run is null || phase is null) return new ControlResult.NotFound();
            if (run.State is RunState.Cancelled or RunState.Complete)
                return new ControlResult.Conflict($"The run is {EnumNames.ToWire(run.State)}; its phases cannot be retried.");
            var now = time.GetUtcNow().UtcDateTime;
            await StateChanges.MovePhaseAsync(db, phase, PhaseState.Queued, now, note: "retried by operator", ct: ct);
            // A fresh round: the count restarts, the attempt rows keep numbering after the old ones (the executor numbers them).
            phase.Attempts = 0;
            phase.ErrorReleases = 0;
            phase.NotBefore = null;
            phase.StatusReason = null;
            foreach (var waiting in await db.Phases.Where(p => p.RunId == runId && p.State == PhaseState.Queued && p.StatusReason != null).ToListAsync(ct))
                waiting.StatusReason = null;
            if (run.State is RunState.Failed)
            {
                run.CompletedAt = null;
                run.FailureReason = null;
                await StateChanges.MoveRunAsync(db, run, RunState.Running, now, "phase retried", ct);
            }
            return new ControlResult.Done();
        }, ct);
    }
}
