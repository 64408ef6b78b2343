namespace Autopack.Core.Domain;

/// <summary>The <c>phase_attempts.outcome</c> values (and <c>outcome</c> of <c>phase.attempt</c> events).</summary>
public static class AttemptStatus
{
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    /// <summary>Counted: the attempt produced a failure the model is told about next time.</summary>
    public const string Failed = "FAILED";
    /// <summary>Counted: the executor died mid-attempt (lease expired), so a crash loop stays bounded.</summary>
    public const string Abandoned = "ABANDONED";
    /// <summary>Not counted: a stop (kill switch, shutdown, cancel) or an executor error interrupted it; its model answer is kept for reuse.</summary>
    public const string Stopped = "STOPPED";
}
