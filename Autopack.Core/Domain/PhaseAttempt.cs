namespace Autopack.Core.Domain;

public class PhaseAttempt
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public required string PhaseId { get; set; }
    public int Number { get; set; }
    public string? Model { get; set; }
    /// <summary>One of <see cref="AttemptStatus"/>.</summary>
    public string Outcome { get; set; } = AttemptStatus.Running;
    public string? FailureReason { get; set; }
    public string? Diff { get; set; }
    public string? TestOutput { get; set; }
    public int? TestExitCode { get; set; }
    public string? AuditorVerdict { get; set; }
    public string? AuditorNotes { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public DateTime StartedAt { get; set; } = DateTime.UtcNow;
    public DateTime? CompletedAt { get; set; }
}
