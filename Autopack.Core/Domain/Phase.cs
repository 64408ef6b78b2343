namespace Autopack.Core.Domain;

public class Phase
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public required string PhaseId { get; set; }
    public required string TierId { get; set; }
    /// <summary>Index of the phase's tier, copied here so claim order (tier, phase) is one index scan.</summary>
    public int TierIndex { get; set; }
    public int Index { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public Complexity Complexity { get; set; } = Complexity.Medium;
    public List<string> ScopePaths { get; set; } = [];
    public List<string> ReadOnlyContext { get; set; } = [];
    public string? TestCommand { get; set; }
    /// <summary>The run plan lets this phase's test command use the host's network (its <c>sandbox.network</c>, else the run's).</summary>
    public bool SandboxNetwork { get; set; }
    public PhaseState State { get; set; } = PhaseState.Queued;
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; } = RunCaps.DefaultMaxAttempts;
    /// <summary>Reason code when FAILED: PATCH_FAILED, CI_FAILED, AUDITOR_REJECTED, TIMEOUT, BUDGET_EXHAUSTED, MAX_ATTEMPTS, ...</summary>
    public string? FailureReason { get; set; }
    /// <summary>Why a phase is waiting (e.g. no model provider configured); shown in the API and dashboard.</summary>
    public string? StatusReason { get; set; }
    /// <summary>Not claimed before this time: the backoff after an executor error (see <see cref="ErrorReleases"/>).</summary>
    public DateTime? NotBefore { get; set; }
    /// <summary>Releases in a row without an attempt outcome (executor errors); bounded, then the phase fails. Reset by an attempt outcome or a retry.</summary>
    public int ErrorReleases { get; set; }
    public long TokensUsed { get; set; }
    public string? CommitSha { get; set; }
    public string? ClaimedBy { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Moves the phase through the transition table; illegal moves throw.</summary>
    public void TransitionTo(PhaseState next, DateTime now)
    {
        PhaseTransitions.Ensure(State, next);
        State = next;
        UpdatedAt = now;
        if (next == PhaseState.Executing) StartedAt ??= now;
        if (next is PhaseState.Complete or PhaseState.Failed or PhaseState.Skipped) CompletedAt = now;
        if (next == PhaseState.Queued) { CompletedAt = null; FailureReason = null; }
        if (next is PhaseState.Complete or PhaseState.Failed or PhaseState.Skipped or PhaseState.Queued)
        {
            ClaimedBy = null;
            LeaseExpiresAt = null;
        }
    }
}

public enum Complexity { Low, Medium, High }
