using System.Numerics.Tensors;

namespace Autopack.Executor.Memory;

/// <summary>
/// The embedded store's vectors in memory, for choosing candidates: a full scan of every row (no approximate index, so
/// nothing is ever out of reach) over scalar-quantized copies (<see cref="VectorSegment"/>), ranked by approximate
/// cosine similarity. Vectors of another dimension (a different embedder) sit in their own segment and never match a
/// query. One lock covers adds and scans: a scan of 100,000 × 384 takes milliseconds, and adds are rare.
/// </summary>
public sealed class VectorIndex
{
    private readonly Lock _gate = new();
    private readonly HashSet<Guid> _ids = [];
    private readonly Dictionary<int, VectorSegment> _segments = [];
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    public int Count { get { lock (_gate) return _ids.Count; } }

    public bool Contains(Guid id) { lock (_gate) return _ids.Contains(id); }

    /// <summary>Adds a row unless its id is already in; returns whether it was added.</summary>
    public bool Add(Guid id, string kind, string? runId, ReadOnlySpan<float> vector)
    {
        if (vector.IsEmpty) return false;
        lock (_gate)
        {
            if (!_ids.Add(id)) return false;
            if (!_segments.TryGetValue(vector.Length, out var segment)) _segments[vector.Length] = segment = new VectorSegment(vector.Length);
            segment.Append(id, Intern(kind), runId is null ? null : Intern(runId), vector);
            return true;
        }
    }

    /// <summary>
    /// The ids of the <paramref name="limit"/> rows most similar to <paramref name="query"/>, best first, with their
    /// approximate cosine similarity (about ±0.01: rescore the candidates with the stored vectors for exact figures).
    /// </summary>
    public IReadOnlyList<(Guid Id, double Score)> Search(ReadOnlySpan<float> query, int limit, MemoryFilter? filter)
    {
        if (limit <= 0 || query.IsEmpty || !(TensorPrimitives.Norm(query) > 0)) return [];
        lock (_gate)
            return _segments.TryGetValue(query.Length, out var segment) ? segment.Top(query, limit, filter) : [];
    }

    // Kinds and run ids repeat across thousands of rows; keep one string of each.
    private string Intern(string value)
    {
        if (_names.TryGetValue(value, out var known)) return known;
        _names[value] = value;
        return value;
    }
}
