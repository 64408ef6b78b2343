namespace Autopack.Executor.Memory;

public sealed record MemoryHit(string Kind, string Text, double Score, string? RunId, string? PhaseId);

/// <summary>Narrows a recall to one run and/or one kind of memory (error, fix, summary); a null field matches everything.</summary>
public sealed record MemoryFilter(string? RunId = null, string? Kind = null)
{
    public bool Matches(string kind, string? runId) =>
        (Kind is null || Kind == kind) && (RunId is null || RunId == runId);
}

/// <summary>Vector memory of errors, fixes and phase summaries: the embedded index (database) or Qdrant.</summary>
public interface IMemoryStore
{
    string Backend { get; }
    Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct);
    Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, MemoryFilter? filter, CancellationToken ct);
}
