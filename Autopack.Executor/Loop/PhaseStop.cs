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

/// <summary>The reason codes a phase or attempt fails with (docs/executor.md).</summary>
public static class ReasonCodes
{
    public const string PatchFailed = "PATCH_FAILED";
    public const string CiFailed = "CI_FAILED";
    public const string AuditorRejected = "AUDITOR_REJECTED";
    public const string Timeout = "TIMEOUT";
    public const string BudgetExhausted = "BUDGET_EXHAUSTED";
    public const string MaxAttempts = "MAX_ATTEMPTS";
    public const string ApprovalRejected = "APPROVAL_REJECTED";
    public const string Cancelled = "CANCELLED";
    public const string NoRepository = "NO_REPOSITORY";
    public const string ModelUnavailable = "MODEL_UNAVAILABLE";
    public const string Released = "RELEASED";
    public const string KillSwitch = "KILL_SWITCH";
    /// <summary>The executor itself failed (database, worktree, an unexpected exception); requeued with backoff, bounded.</summary>
    public const string ExecutorError = "EXECUTOR_ERROR";
    /// <summary>AUTOPACK_SANDBOX=required and bubblewrap cannot run here: the test command is never run unsandboxed.</summary>
    public const string SandboxUnavailable = "SANDBOX_UNAVAILABLE";
}

/// <summary>A budget ran out before a model call (phase token cap, wall clock, run duration): the phase fails with the reason.</summary>
public sealed class BudgetStopException(string reason, string note) : Exception(note)
{
    public string Reason { get; } = reason;
}
