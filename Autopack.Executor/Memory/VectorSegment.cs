using System.Numerics;
using System.Numerics.Tensors;

namespace Autopack.Executor.Memory;

/// <summary>
/// The rows of one dimension, scalar-quantized as Qdrant does: each row is unit-normalized, then stored as signed bytes
/// with one scale (its largest component / 127), a quarter of float32's size. A full scan is memory-bound, so reading
/// 38 MB instead of 154 MB for 100,000 × 384 is what keeps it in milliseconds; the scores are approximate (about ±0.01)
/// and only choose candidates, which the store rescores exactly. Rows live in fixed-size chunks (growing never copies
/// what is stored) with each row's id, kind and run beside it for filtering. Not thread-safe: <see cref="VectorIndex"/>
/// locks around it.
/// </summary>
internal sealed class VectorSegment(int dimension)
{
    private const int ChunkRows = 4_096;
    private readonly List<sbyte[]> _chunks = [];
    private readonly List<float> _scales = [];
    private readonly List<Guid> _ids = [];
    private readonly List<string> _kinds = [];
    private readonly List<string?> _runs = [];

    public void Append(Guid id, string kind, string? runId, ReadOnlySpan<float> vector)
    {
        var row = _ids.Count;
        if (row % ChunkRows == 0) _chunks.Add(new sbyte[ChunkRows * dimension]);
        _scales.Add(Quantize(vector, _chunks[^1].AsSpan(row % ChunkRows * dimension, dimension)));
        _ids.Add(id);
        _kinds.Add(kind);
        _runs.Add(runId);
    }

    public IReadOnlyList<(Guid Id, double Score)> Top(ReadOnlySpan<float> query, int limit, MemoryFilter? filter)
    {
        Span<sbyte> q = dimension <= 4_096 ? stackalloc sbyte[dimension] : new sbyte[dimension];
        var queryScale = Quantize(query, q);
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
                var score = Dot(q, chunk.Slice(r * dimension, dimension)) * _scales[row];
                if (best.Count < limit) best.Enqueue(row, score);
                else if (best.TryPeek(out _, out var weakest) && score > weakest) best.DequeueEnqueue(row, score);
            }
        }
        var top = new (Guid, double)[best.Count];
        for (var i = top.Length - 1; best.TryDequeue(out var row, out var score); i--) top[i] = (_ids[row], score * queryScale);
        return top;
    }

    /// <summary>Unit-normalizes <paramref name="vector"/> into signed bytes (±127); returns the scale back to unit length (0 for a zero vector).</summary>
    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> target)
    {
        var norm = TensorPrimitives.Norm(vector);
        var largest = norm > 0 ? MathF.Abs(TensorPrimitives.MaxMagnitude(vector)) / norm : 0; // MaxMagnitude keeps the sign
        if (!(largest > 0)) { target.Clear(); return 0; }
        var factor = 127f / (largest * norm);
        for (var i = 0; i < vector.Length; i++) target[i] = (sbyte)MathF.Round(vector[i] * factor);
        return largest / 127f;
    }

    /// <summary>
    /// Signed-byte dot product, widened to 32 bits (|sum| ≤ 384 × 127² fits easily). TensorPrimitives.Dot on sbyte
    /// would accumulate in sbyte and overflow, so this one is written with the portable <see cref="Vector{T}"/>.
    /// </summary>
    private static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var sum = Vector<int>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<sbyte>.Count; i += Vector<sbyte>.Count)
        {
            Vector.Widen(new Vector<sbyte>(a[i..]), out var a0, out var a1);
            Vector.Widen(new Vector<sbyte>(b[i..]), out var b0, out var b1);
            Vector.Widen(a0 * b0, out var p0, out var p1);
            Vector.Widen(a1 * b1, out var p2, out var p3);
            sum += p0 + p1 + p2 + p3;
        }
        var total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }
}
