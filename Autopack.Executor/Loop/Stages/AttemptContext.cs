using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Executor.Models;
using Autopack.Executor.Workspace;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// What every stage of one attempt works from: the claim, the phase as loaded before the attempt, the started attempt,
/// the builder's rung, a paid answer kept from a stopped attempt, the worktree, the previous failure and the wall clock.
/// </summary>
public sealed record AttemptContext(ClaimedPhase Claim, Phase Phase, AttemptStart Attempt, EscalationStep Step, KeptAnswer? Kept,
    PhaseWorktree Worktree, string? Feedback, PhaseClock Clock);

/// <summary>A stage's value, or the failure that ends the attempt there.</summary>
public sealed record StageResult<T>(T Value, AttemptOutcome? Failure);

public static class StageResult
{
    public static StageResult<T> Ok<T>(T value) => new(value, null);
    public static StageResult<T> Failed<T>(AttemptOutcome failure) => new(default!, failure);
}
