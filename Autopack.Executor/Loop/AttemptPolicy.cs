using Autopack.Core.Domain;

namespace Autopack.Executor.Loop;

/// <summary>What becomes of the phase after an attempt.</summary>
public abstract record PhaseVerdict
{
    /// <summary>The attempt passed the quality gate: the phase is COMPLETE with its landed commit.</summary>
    public sealed record Complete(string? CommitSha, string Note) : PhaseVerdict;

    /// <summary>The phase fails for good: a terminal failure, or the last counted attempt of the round failed.</summary>
    public sealed record Fail(string Reason, string Note) : PhaseVerdict;

    /// <summary>Another attempt, told why the last one failed.</summary>
    public sealed record Retry(string Feedback) : PhaseVerdict;
}

/// <summary>
/// Decides, without touching anything, how a phase goes on: whether a round still has attempts, and after an attempt
/// whether the phase completes, fails or retries. <see cref="PhaseRunner"/> applies the verdict.
/// </summary>
public static class AttemptPolicy
{
    /// <summary>A phase that arrives with every attempt of its round used (requeued after its last attempt) fails at once.</summary>
    public static PhaseVerdict.Fail? RoundSpent(int attempts, int maxAttempts) =>
        attempts >= maxAttempts ? new PhaseVerdict.Fail(ReasonCodes.MaxAttempts, $"all {maxAttempts} attempts used") : null;

    public static PhaseVerdict Decide(AttemptOutcome outcome, AttemptStart attempt, int maxAttempts)
    {
        if (outcome.Succeeded) return new PhaseVerdict.Complete(outcome.CommitSha, $"attempt {attempt.Number} passed the quality gate");
        if (outcome.Terminal || attempt.Counted >= maxAttempts)
        {
            var reason = outcome.Terminal ? outcome.Reason! : ReasonCodes.MaxAttempts;
            return new PhaseVerdict.Fail(reason, $"attempt {attempt.Number}: {outcome.Reason}: {Clip(outcome.Feedback ?? "", 300)}");
        }
        return new PhaseVerdict.Retry($"{outcome.Reason}: {outcome.Feedback}");
    }

    public static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}
