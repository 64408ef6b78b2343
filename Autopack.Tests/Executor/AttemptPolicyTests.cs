using Autopack.Core.Domain;
using Autopack.Executor.Loop;

namespace Autopack.Tests.Executor;

/// <summary>The pure verdict after an attempt: complete, fail (terminal or the round's last counted attempt) or retry.</summary>
public class AttemptPolicyTests
{
    [Theory]
    // succeeded                           → complete, whatever the count
    [InlineData(true, null, false, 1, 1, 5, "complete", null)]
    [InlineData(true, null, false, 5, 5, 5, "complete", null)]
    // a retried failure with attempts left → retry with the reason fed back
    [InlineData(false, "CI_FAILED", false, 1, 1, 5, "retry", "CI_FAILED: boom")]
    [InlineData(false, "PATCH_FAILED", false, 7, 4, 5, "retry", "PATCH_FAILED: boom")] // row numbers continue across rounds; the count decides
    // the round's last counted attempt   → MAX_ATTEMPTS
    [InlineData(false, "AUDITOR_REJECTED", false, 2, 2, 2, "fail", "MAX_ATTEMPTS")]
    [InlineData(false, "CI_FAILED", false, 9, 5, 5, "fail", "MAX_ATTEMPTS")]
    // a terminal failure ends the phase at once with its own reason
    [InlineData(false, "APPROVAL_REJECTED", true, 1, 1, 5, "fail", "APPROVAL_REJECTED")]
    [InlineData(false, "BUDGET_EXHAUSTED", true, 5, 5, 5, "fail", "BUDGET_EXHAUSTED")]
    public void Decides_from_the_outcome_and_the_attempts_counted_in_the_round(bool succeeded, string? reason, bool terminal, int number,
        int counted, int maxAttempts, string expected, string? detail)
    {
        var outcome = new AttemptOutcome(succeeded, reason, succeeded ? null : "boom", terminal, CommitSha: succeeded ? "abc123" : null);
        var verdict = AttemptPolicy.Decide(outcome, new AttemptStart(number, counted), maxAttempts);
        switch (expected)
        {
            case "complete":
                var complete = Assert.IsType<PhaseVerdict.Complete>(verdict);
                Assert.Equal(("abc123", $"attempt {number} passed the quality gate"), (complete.CommitSha, complete.Note));
                break;
            case "retry":
                Assert.Equal(detail, Assert.IsType<PhaseVerdict.Retry>(verdict).Feedback);
                break;
            default:
                var fail = Assert.IsType<PhaseVerdict.Fail>(verdict);
                Assert.Equal(detail, fail.Reason);
                Assert.Equal($"attempt {number}: {reason}: boom", fail.Note);
                break;
        }
    }

    [Fact]
    public void The_failure_note_keeps_the_first_300_characters_of_the_feedback()
    {
        var outcome = AttemptOutcome.Fail(ReasonCodes.CiFailed, new string('x', 1000));
        var fail = Assert.IsType<PhaseVerdict.Fail>(AttemptPolicy.Decide(outcome, new AttemptStart(1, 1), 1));
        Assert.Equal($"attempt 1: CI_FAILED: {new string('x', 300)}…", fail.Note);
    }

    [Theory]
    [InlineData(0, 5, false)]
    [InlineData(4, 5, false)]
    [InlineData(5, 5, true)]
    [InlineData(6, 5, true)]
    public void A_phase_arriving_with_its_round_used_fails_with_MAX_ATTEMPTS(int attempts, int maxAttempts, bool spent)
    {
        var verdict = AttemptPolicy.RoundSpent(attempts, maxAttempts);
        Assert.Equal(spent, verdict is not null);
        if (verdict is not null) Assert.Equal((ReasonCodes.MaxAttempts, $"all {maxAttempts} attempts used"), (verdict.Reason, verdict.Note));
    }
}
