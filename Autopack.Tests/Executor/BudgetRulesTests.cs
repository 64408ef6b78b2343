using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Loop;

namespace Autopack.Tests.Executor;

/// <summary>The pure budget rule before every model call: run duration, phase wall clock, phase token cap, the 95 % pause.</summary>
public class BudgetRulesTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ExecutorOptions Options = new() { WorktreeRoot = "/unused", PhaseTimeout = TimeSpan.FromMinutes(15), PhaseTokenCap = 1_000 };

    private static Run Run(RunState state = RunState.Running, int startedMinutesAgo = 1, int maxMinutes = 120, long used = 0, long cap = 10_000) =>
        new() { Id = "r", Name = "r", State = state, StartedAt = Now.AddMinutes(-startedMinutesAgo), MaxDurationMinutes = maxMinutes, TokensUsed = used, TokenCap = cap };

    private static Phase Phase(long used = 0) =>
        new() { RunId = "r", PhaseId = "P1", TierId = "T1", Name = "P1", TokensUsed = used };

    public static TheoryData<string, Run, Phase, int, string> Cases => new()
    {
        { "within every budget", Run(), Phase(), 1, "ok" },
        { "run past its duration", Run(startedMinutesAgo: 121), Phase(), 1, "stop TIMEOUT the run exceeded its 120 minute duration" },
        { "run exactly at its duration", Run(startedMinutesAgo: 120), Phase(), 1, "ok" },
        { "phase past its wall clock", Run(), Phase(), 16, "stop TIMEOUT the phase exceeded its 15 minute wall clock" },
        { "phase at its token cap", Run(), Phase(used: 1_000), 1, "stop BUDGET_EXHAUSTED the phase used 1000 tokens (cap 1000)" },
        { "run at 95 % of its cap", Run(used: 9_500), Phase(), 1, "pause" },
        { "run just under 95 %", Run(used: 9_499), Phase(), 1, "ok" },
        { "run paused by someone else", Run(state: RunState.Paused), Phase(), 1, "pause" },
        // Order: a run past its duration stops even when it is also over its token cap.
        { "duration before the pause", Run(startedMinutesAgo: 200, used: 9_900), Phase(used: 5_000), 20, "stop TIMEOUT the run exceeded its 120 minute duration" },
        { "wall clock before the token cap", Run(), Phase(used: 5_000), 20, "stop TIMEOUT the phase exceeded its 15 minute wall clock" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Checks_in_order_and_stops_or_pauses(string what, Run run, Phase phase, int phaseMinutes, string expected)
    {
        var check = BudgetRules.Check(run, phase, TimeSpan.FromMinutes(phaseMinutes), Options, Now);
        var actual = check switch
        {
            BudgetCheck.Stop s => $"stop {s.Reason} {s.Note}",
            BudgetCheck.Pause => "pause",
            _ => "ok",
        };
        Assert.True(expected == actual, $"{what}: expected '{expected}', got '{actual}'");
    }

    [Fact]
    public void A_run_not_started_has_no_duration_to_exceed()
    {
        var run = Run();
        run.StartedAt = null;
        Assert.IsType<BudgetCheck.Ok>(BudgetRules.Check(run, Phase(), TimeSpan.Zero, Options, Now));
    }
}
