namespace Autopack.Core.Domain;

/// <summary>
/// The reason codes a phase or attempt fails with (<c>failure_reason</c> on phases, attempts and their events; the table in
/// docs/executor.md). Written by the executor and by Core (a requeued lease), shown by the API and the dashboard.
/// </summary>
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
    /// <summary>The executor stopped renewing the lease (it died): the phase went back to the queue, that attempt counted.</summary>
    public const string LeaseExpired = "LEASE_EXPIRED";
    public const string Released = "RELEASED";
    public const string KillSwitch = "KILL_SWITCH";
    /// <summary>The executor itself failed (database, worktree, an unexpected exception); requeued with backoff, bounded.</summary>
    public const string ExecutorError = "EXECUTOR_ERROR";
    /// <summary>AUTOPACK_SANDBOX=required and bubblewrap cannot run here: the test command is never run unsandboxed.</summary>
    public const string SandboxUnavailable = "SANDBOX_UNAVAILABLE";
    /// <summary>The run plan allows the phase the network and AUTOPACK_SANDBOX_NETWORK=deny refuses it: never run without it.</summary>
    public const string SandboxNetworkDenied = "SANDBOX_NETWORK_DENIED";
}
