using Autopack.Core.Domain;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Unit")]
public class PhaseTransitionTests
{
    private static readonly (PhaseState From, PhaseState To)[] Legal =
    [
        (PhaseState.Queued, PhaseState.Executing), (PhaseState.Queued, PhaseState.Skipped),
        (PhaseState.Executing, PhaseState.Gate), (PhaseState.Executing, PhaseState.CiRunning),
        (PhaseState.Executing, PhaseState.Complete), (PhaseState.Executing, PhaseState.Failed),
        (PhaseState.Gate, PhaseState.Executing), (PhaseState.Gate, PhaseState.Complete), (PhaseState.Gate, PhaseState.Failed),
        (PhaseState.CiRunning, PhaseState.Complete), (PhaseState.CiRunning, PhaseState.Failed),
        (PhaseState.Failed, PhaseState.Queued),
    ];

    public static TheoryData<PhaseState, PhaseState> AllPairs()
    {
        var data = new TheoryData<PhaseState, PhaseState>();
        foreach (var from in Enum.GetValues<PhaseState>())
            foreach (var to in Enum.GetValues<PhaseState>())
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Only_the_table_moves_are_allowed(PhaseState from, PhaseState to)
    {
        var legal = Legal.Contains((from, to));
        Assert.Equal(legal, PhaseTransitions.IsAllowed(from, to));
        var phase = new Phase { RunId = "r", PhaseId = "p", TierId = "t", State = from };
        if (legal)
        {
            phase.TransitionTo(to, DateTime.UtcNow);
            Assert.Equal(to, phase.State);
        }
        else
        {
            var ex = Assert.Throws<IllegalTransitionException>(() => phase.TransitionTo(to, DateTime.UtcNow));
            Assert.Equal(from, phase.State);
            Assert.Equal(PhaseTransitions.AllowedFrom(from), ex.Allowed);
            Assert.Contains(EnumNames.ToWire(from), ex.Message);
        }
    }

    [Fact]
    public void Terminal_states_allow_nothing_and_failed_only_requeue()
    {
        Assert.Empty(PhaseTransitions.AllowedFrom(PhaseState.Complete));
        Assert.Empty(PhaseTransitions.AllowedFrom(PhaseState.Skipped));
        Assert.Equal([PhaseState.Queued], PhaseTransitions.AllowedFrom(PhaseState.Failed));
    }

    [Fact]
    public void Requeue_clears_the_lease_and_failure_but_keeps_the_attempt_count()
    {
        var phase = new Phase { RunId = "r", PhaseId = "p", TierId = "t", State = PhaseState.Failed, Attempts = 3,
            FailureReason = ReasonCodes.CiFailed, ClaimedBy = "x", LeaseExpiresAt = DateTime.UtcNow };
        phase.TransitionTo(PhaseState.Queued, DateTime.UtcNow);
        Assert.Equal(3, phase.Attempts);
        Assert.Null(phase.FailureReason);
        Assert.Null(phase.ClaimedBy);
        Assert.Null(phase.LeaseExpiresAt);
    }

    [Theory]
    [InlineData(PhaseState.CiRunning, "CI_RUNNING")]
    [InlineData(PhaseState.Queued, "QUEUED")]
    public void States_travel_as_upper_snake_names(PhaseState state, string wire)
    {
        Assert.Equal(wire, EnumNames.ToWire(state));
        Assert.Equal(state, EnumNames.Parse<PhaseState>(wire));
        Assert.False(EnumNames.TryParse<PhaseState>("NOPE", out _));
        Assert.False(EnumNames.TryParse<PhaseState>("42", out _));
    }
}
