namespace Autopack.Executor.Loop;

public enum StopKind { Cancelled, KillSwitch, LeaseLost, Shutdown }

/// <summary>Thrown inside an attempt when the phase must stop now (run cancelled, kill switch, lease lost, shutdown).</summary>
public sealed class PhaseStopException(StopKind kind, string reason) : Exception(reason)
{
    public StopKind Kind { get; } = kind;
}

/// <summary>How one attempt ended. Terminal failures skip the remaining attempts.</summary>
public sealed record AttemptOutcome(bool Succeeded, string? Reason, string? Feedback, bool Terminal = false, string? CommitSha = null,
    string? Diff = null, string? TestOutput = null, int? TestExitCode = null, string? Verdict = null, string? AuditorNotes = null)
{
    public static AttemptOutcome Fail(string reason, string feedback, bool terminal = false) => new(false, reason, feedback, terminal);
}

/// <summary>A budget ran out before a model call (phase token cap, wall clock, run duration): the phase fails with the reason.</summary>
public sealed class BudgetStopException(string reason, string note) : Exception(note)
{
    public string Reason { get; } = reason;
}
