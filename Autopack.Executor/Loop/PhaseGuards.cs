using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>
/// What is checked before every model call and every apply: kill switches (read fresh), cancellation and the budgets
/// (<see cref="BudgetRules"/>). At 95 % of the run's token cap the run pauses and the phase waits here, lease kept and
/// wall clock stopped, until an operator raises the cap.
/// </summary>
public sealed class PhaseGuards(IAutopackDbFactory dbFactory, PhaseLedger ledger, ExecutorOptions options, KillSwitchReader killSwitches,
    TimeProvider time, ILogger<PhaseGuards> logger)
{
    /// <summary>Kill switches, cancellation and budgets, checked before every model call.</summary>
    public async Task BeforeModelCallAsync(ClaimedPhase claim, PhaseClock clock, CancellationToken ct)
    {
        await EnsureNoKillSwitchAsync(ct);
        var (run, phase) = await ledger.LoadAsync(claim, ct);
        var blocked = await CheckBudgetsAsync(run, phase, clock, ct);
        if (blocked is not null) throw new BudgetStopException(blocked.Reason, blocked.Note);
    }

    public async Task EnsureNoKillSwitchAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        killSwitches.Invalidate(); // read fresh: an operator's stop must hold from the very next model call or apply
        foreach (var name in new[] { KillSwitchNames.DisableAll, KillSwitchNames.DisableAutonomous })
            if (await killSwitches.IsEngagedAsync(name, ct))
                throw new PhaseStopException(StopKind.KillSwitch, $"kill switch {name} is engaged");
    }

    /// <summary>
    /// Token cap at 95%: the run pauses and this phase waits (lease kept) until an operator raises the cap.
    /// Phase token cap, phase wall clock and run duration end the phase.
    /// </summary>
    public async Task<BudgetCheck.Stop?> CheckBudgetsAsync(Run run, Phase phase, PhaseClock clock, CancellationToken ct)
    {
        var check = BudgetRules.Check(run, phase, clock.Elapsed, options, time.GetUtcNow().UtcDateTime);
        if (check is BudgetCheck.Stop stop) return stop;
        if (check is BudgetCheck.Pause) await WaitWhilePausedAsync(run, phase, clock, ct);
        return null;
    }

    private async Task WaitWhilePausedAsync(Run run, Phase phase, PhaseClock clock, CancellationToken ct)
    {
        await PauseAsync(run.Id, phase.Id, ct);
        clock.Stop();
        try
        {
            while (true)
            {
                await Task.Delay(options.PollInterval, time, ct);
                await using var db = dbFactory.Create();
                var current = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id, ct);
                if (current.State == RunState.Cancelled) throw new PhaseStopException(StopKind.Cancelled, "run cancelled");
                if (current.State.IsFinished()) throw new PhaseStopException(StopKind.Cancelled, $"run {EnumNames.ToWire(current.State)}");
                if (current.State == RunState.Paused) continue;
                if (current.TokensUsed >= current.TokenCap * RunCaps.PauseAtFraction)
                {
                    // Resumed without raising the cap far enough: pause again rather than overspend.
                    await PauseAsync(run.Id, phase.Id, ct);
                    continue;
                }
                // Resumed (the API raised the cap): carry on, the run is RUNNING again.
                await db.RunInTransactionAsync(async () =>
                {
                    var tracked = await db.Runs.SingleAsync(r => r.Id == run.Id, ct);
                    if (tracked.State == RunState.Queued) await StateChanges.MoveRunAsync(db, tracked, RunState.Running, time.GetUtcNow().UtcDateTime, ct: ct);
                    await db.Phases.Where(p => p.Id == phase.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, (string?)null), ct);
                }, ct);
                logger.LogInformation("Run {Run} resumed with token cap {Cap}", run.Id, current.TokenCap);
                return;
            }
        }
        finally { clock.Start(); }
    }

    private async Task PauseAsync(string runId, long phaseRowId, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        // Only a pause this transaction made is logged, once it has committed.
        var paused = await db.RunInTransactionAsync<string?>(async () =>
        {
            var run = await db.Runs.SingleAsync(r => r.Id == runId, ct);
            var reason = $"token budget: {run.TokensUsed} of {run.TokenCap} used (pauses at {RunCaps.PauseAtFraction:P0}); raise the cap with POST /runs/{run.Id}/resume";
            var pausing = run.State is RunState.Running or RunState.Queued;
            if (pausing) await StateChanges.MoveRunAsync(db, run, RunState.Paused, time.GetUtcNow().UtcDateTime, reason, ct);
            await db.Phases.Where(p => p.Id == phaseRowId).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, "waiting: run paused (" + (run.PauseReason ?? reason) + ")"), ct);
            return pausing ? reason : null;
        }, ct);
        if (paused is not null) logger.LogWarning("Run {Run} paused: {Reason}", runId, paused);
    }
}
