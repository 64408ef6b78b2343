using Autopack.Core.Domain;
using Autopack.Executor.Extensions;

namespace Autopack.Executor.Loop;

/// <summary>What the budgets allow before a model call.</summary>
public abstract record BudgetCheck
{
    public sealed record Ok : BudgetCheck;

    /// <summary>A budget ran out: the phase fails with the reason.</summary>
    public sealed record Stop(string Reason, string Note) : BudgetCheck;

    /// <summary>The run is at 95 % of its token cap (or paused): the phase waits, lease kept, until an operator raises it.</summary>
    public sealed record Pause : BudgetCheck;

    public static readonly BudgetCheck Allowed = new Ok();
    public static readonly BudgetCheck Paused = new Pause();
}

/// <summary>
/// The budget rule, without touching anything: run duration, phase wall clock and phase token cap end the phase, in
/// that order; the run's token cap at 95 % pauses it. <see cref="PhaseGuards"/> applies the result.
/// </summary>
public static class BudgetRules
{
    public static BudgetCheck Check(Run run, Phase phase, TimeSpan phaseElapsed, ExecutorOptions options, DateTime now)
    {
        if (run.StartedAt is { } started && now - started > TimeSpan.FromMinutes(run.MaxDurationMinutes))
            return new BudgetCheck.Stop(ReasonCodes.Timeout, $"the run exceeded its {run.MaxDurationMinutes} minute duration");
        if (phaseElapsed > options.PhaseTimeout)
            return new BudgetCheck.Stop(ReasonCodes.Timeout, $"the phase exceeded its {options.PhaseTimeout.TotalMinutes:0} minute wall clock");
        if (phase.TokensUsed >= options.PhaseTokenCap)
            return new BudgetCheck.Stop(ReasonCodes.BudgetExhausted, $"the phase used {phase.TokensUsed} tokens (cap {options.PhaseTokenCap})");
        if (run.TokensUsed >= run.TokenCap * RunCaps.PauseAtFraction || run.State == RunState.Paused)
            return BudgetCheck.Paused;
        return BudgetCheck.Allowed;
    }
}
