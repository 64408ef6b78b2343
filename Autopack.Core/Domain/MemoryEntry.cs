namespace Autopack.Core.Domain;

/// <summary>Embedded vector memory: errors, fixes and phase summaries (used when Qdrant is not configured).</summary>
public class MemoryEntry
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public required string Collection { get; set; }
    public string? RunId { get; set; }
    public string? PhaseId { get; set; }
    /// <summary>error, fix, summary.</summary>
    public required string Kind { get; set; }
    public required string Text { get; set; }
    /// <summary>float32 little-endian vector.</summary>
    public required byte[] Vector { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}
