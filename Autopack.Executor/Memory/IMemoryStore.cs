namespace Autopack.Executor.Memory;

public sealed record MemoryHit(string Kind, string Text, double Score, string? RunId, string? PhaseId);

/// <summary>Vector memory of errors, fixes and phase summaries: the embedded index (database) or Qdrant.</summary>
public interface IMemoryStore
{
    string Backend { get; }
    Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct);
    Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, CancellationToken ct);
}
