namespace Autopack.Core.Domain;

public class Run
{
    public required string Id { get; set; }
    public string Name { get; set; } = "";
    public string? RepoPath { get; set; }
    public string? Branch { get; set; }
    public RunState State { get; set; } = RunState.Queued;
    public long TokenCap { get; set; } = RunCaps.DefaultTokenCap;
    public long TokensUsed { get; set; }
    public int MaxPhases { get; set; } = RunCaps.DefaultMaxPhases;
    public int MaxDurationMinutes { get; set; } = RunCaps.DefaultMaxDurationMinutes;
    /// <summary>The plan's run-level <c>sandbox.network</c>: the default of its phases (each phase stores its own resolved value).</summary>
    public bool SandboxNetwork { get; set; }
    public string? PauseReason { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>Client-supplied Idempotency-Key of the create request; unique.</summary>
    public string? IdempotencyKey { get; set; }
    /// <summary>Last per-run event sequence handed out; bumped with a row lock so events are commit-ordered.</summary>
    public long LastEventSeq { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<Tier> Tiers { get; set; } = [];
    public List<Phase> Phases { get; set; } = [];
}
