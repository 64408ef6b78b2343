namespace Autopack.Core.Domain;

public class LlmUsageEvent
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public string? PhaseId { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    /// <summary>builder or auditor.</summary>
    public required string Role { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}
