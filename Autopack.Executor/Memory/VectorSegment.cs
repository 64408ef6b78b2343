using System.Numerics.Tensors;

namespace Autopack.Executor.Memory;

/// <summary>
/// The rows of one dimension, in fixed-size chunks of contiguous floats (growing never copies what is stored) with
/// each row's id, kind and run beside it for filtering. Not thread-safe: <see cref="VectorIndex"/> locks around it.
/// </summary>
internal sealed class VectorSegment(int dimension)
{
    private const int ChunkRows = 4_096;
    private readonly List<float[]> _chunks = [];
    private readonly List<Guid> _ids = [];
    private readonly List<string> _kinds = [];
    private readonly List<string?> _runs = [];

    public void Append(Guid id, string kind, string? runId, ReadOnlySpan<float> vector)
    {
        var row = _ids.Count;
        if (row % ChunkRows == 0) _chunks.Add(new float[ChunkRows * dimension]);
        var target = _chunks[^1].AsSpan(row % ChunkRows * dimension, dimension);
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Divide(vector, norm, target); // a zero vector stays zero: similarity 0 to everything
        _ids.Add(id);
        _kinds.Add(kind);
        _runs.Add(runId);
    }

    public IReadOnlyList<(Guid Id, double Score)> Top(ReadOnlySpan<float> unitQuery, int limit, MemoryFilter? filter)
    {
        var best = new PriorityQueue<int, float>(limit + 1); // min-heap: the weakest of the best on top
        var rows = _ids.Count;
        for (var c = 0; c < _chunks.Count; c++)
        {
            var chunk = _chunks[c].AsSpan();
            var first = c * ChunkRows;
            var count = Math.Min(ChunkRows, rows - first);
            for (var r = 0; r < count; r++)
            {
                var row = first + r;
                if (filter is not null && !filter.Matches(_kinds[row], _runs[row])) continue;
                var score = TensorPrimitives.Dot(unitQuery, chunk.Slice(r * dimension, dimension));
                if (best.Count < limit) best.Enqueue(row, score);
                else if (best.TryPeek(out _, out var weakest) && score > weakest) best.DequeueEnqueue(row, score);
            }
        }
        var top = new (Guid, double)[best.Count];
        for (var i = top.Length - 1; best.TryDequeue(out var row, out var score); i--) top[i] = (_ids[row], score);
        return top;
    }
}
