namespace Autopack.Core.Domain;

/// <summary>Append-only live event; (RunId, Sequence) is unique and gapless per run.</summary>
public class RunEvent
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public long Sequence { get; set; }
    public required string Type { get; set; }
    public string? PhaseId { get; set; }
    /// <summary>JSON object (snake_case).</summary>
    public string Payload { get; set; } = "{}";
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}
