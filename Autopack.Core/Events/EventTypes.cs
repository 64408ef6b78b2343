namespace Autopack.Core.Events;

/// <summary>Names of run events (SSE) and outbox messages.</summary>
public static class EventTypes
{
    public const string RunCreated = "run.created";
    public const string RunState = "run.state";
    public const string RunCompleted = "run.completed";
    public const string RunFailed = "run.failed";
    public const string RunPaused = "run.paused";
    public const string RunCancelled = "run.cancelled";
    public const string PhaseState = "phase.state";
    public const string PhaseAttempt = "phase.attempt";
    /// <summary>A test command finished: exit code, duration, the tail of its output.</summary>
    public const string PhaseTests = "phase.tests";
    public const string ApprovalRequested = "approval.requested";
    public const string ApprovalDecided = "approval.decided";
    public const string Usage = "usage";
}
