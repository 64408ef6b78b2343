using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;

namespace Autopack.Core.Execution;

/// <summary>
/// Moves phases and runs, adding the run event and outbox messages to the caller's transaction, so a
/// state change is never visible without its announcement (and the other way round).
/// </summary>
public static class StateChanges
{
    /// <summary>Through <see cref="Phase.TransitionTo"/> (the transition table); the caller saves and commits.</summary>
    public static async Task MovePhaseAsync(AutopackDbContext db, Phase phase, PhaseState next, DateTime now,
        string? failureReason = null, string? note = null, CancellationToken ct = default)
    {
        var previous = phase.State;
        phase.TransitionTo(next, now);
        if (next == PhaseState.Failed) phase.FailureReason = failureReason;
        var payload = DescribePhase(phase, previous, note);
        await RunEventWriter.AppendAsync(db, phase.RunId, EventTypes.PhaseState, payload, phase.PhaseId, ct);
        OutboxWriter.Publish(db, EventTypes.PhaseState, payload, phase.RunId);
    }

    public static async Task MoveRunAsync(AutopackDbContext db, Run run, RunState next, DateTime now, string? reason = null,
        CancellationToken ct = default)
    {
        var previous = run.State;
        if (previous == next) return;
        run.State = next;
        run.UpdatedAt = now;
        if (next == RunState.Running) run.StartedAt ??= now;
        if (next is RunState.Running or RunState.Queued) { run.PauseReason = null; run.FailureReason = null; run.CompletedAt = null; }
        if (next == RunState.Paused) run.PauseReason = reason;
        if (next == RunState.Failed) run.FailureReason = reason;
        if (next.IsFinished()) run.CompletedAt = now;
        var payload = new
        {
            run_id = run.Id,
            state = EnumNames.ToWire(next),
            previous_state = EnumNames.ToWire(previous),
            reason,
            tokens_used = run.TokensUsed,
            token_cap = run.TokenCap,
            branch = run.Branch,
        };
        await RunEventWriter.AppendAsync(db, run.Id, EventTypes.RunState, payload, null, ct);
        var outboxType = next switch
        {
            RunState.Complete => EventTypes.RunCompleted,
            RunState.Failed => EventTypes.RunFailed,
            RunState.Paused => EventTypes.RunPaused,
            RunState.Cancelled => EventTypes.RunCancelled,
            _ => EventTypes.RunState,
        };
        OutboxWriter.Publish(db, outboxType, payload, run.Id);
    }

    public static object DescribePhase(Phase p, PhaseState? previous = null, string? note = null) => new
    {
        run_id = p.RunId,
        phase_id = p.PhaseId,
        state = EnumNames.ToWire(p.State),
        previous_state = previous is null ? null : EnumNames.ToWire(previous.Value),
        failure_reason = p.FailureReason,
        status_reason = p.StatusReason,
        note,
        attempts = p.Attempts,
        max_attempts = p.MaxAttempts,
        claimed_by = p.ClaimedBy,
        commit_sha = p.CommitSha,
        tokens_used = p.TokensUsed,
    };
}
