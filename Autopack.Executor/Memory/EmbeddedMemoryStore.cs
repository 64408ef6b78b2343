using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Memory;

/// <summary>
/// The default backend: <see cref="MemoryEntry"/> rows (float32 vectors) in the shared database. A <see cref="VectorIndex"/>
/// in memory scans every row for candidates; their stored vectors give the exact ranking. The collection is loaded on first use; after that every search first reads the rows added
/// since (by this or any other executor), so what one executor remembers, the next recall anywhere can find.
/// </summary>
public sealed class EmbeddedMemoryStore(IAutopackDbFactory dbFactory, string collection, TimeProvider? time = null) : IMemoryStore, IDisposable
{
    /// <summary>
    /// How far before the newest row seen the catch-up looks again. A row becomes visible when its insert commits,
    /// a moment after its <c>created_at</c> (stamped by the writer's clock); this covers that lag and clock skew
    /// between executor hosts up to the same amount. Rows seen already are skipped by id. A row stamped in the future
    /// (a host whose clock runs ahead) cannot push the window past this host's own now.
    /// </summary>
    public static readonly TimeSpan CatchUpOverlap = TimeSpan.FromMinutes(2);

    // Candidates the approximate index hands over for exact rescoring: ±0.01 of quantization error cannot push a
    // best match past dozens of others.
    private const int CandidatesPerHit = 4, MinCandidates = 32;

    private readonly VectorIndex _index = new();
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private DateTime? _newestSeen;

    public string Backend => "embedded";

    public void Dispose() => _catchUp.Dispose();

    public async Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct)
    {
        var entry = new MemoryEntry
        {
            Collection = collection, Kind = kind, Text = text, RunId = runId, PhaseId = phaseId,
            Vector = MemoryMarshal.AsBytes(vector.Span).ToArray(),
            CreatedAt = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime, // the clock the catch-up compares with
        };
        await using (var db = dbFactory.Create())
        {
            db.MemoryEntries.Add(entry);
            await db.SaveChangesAsync(ct);
        }
        _index.Add(entry.Id, kind, runId, vector.Span);
    }

    public async Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, MemoryFilter? filter, CancellationToken ct)
    {
        await CatchUpAsync(ct);
        var candidates = _index.Search(vector.Span, Math.Max(limit * CandidatesPerHit, MinCandidates), filter);
        if (candidates.Count == 0 || limit <= 0) return [];
        var ids = candidates.Select(c => c.Id).ToList();
        await using var db = dbFactory.Create();
        var rows = await db.MemoryEntries.AsNoTracking().Where(m => ids.Contains(m.Id))
            .Select(m => new { m.Kind, m.Text, m.RunId, m.PhaseId, m.Vector }).ToListAsync(ct);
        // The index's scores are approximate; the stored float32 vectors give the exact cosine and the final order.
        return rows
            .Select(r => new MemoryHit(r.Kind, r.Text, Cosine(vector.Span, MemoryMarshal.Cast<byte, float>(r.Vector)), r.RunId, r.PhaseId))
            .OrderByDescending(h => h.Score).Take(limit).ToList();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        TensorPrimitives.CosineSimilarity(a, b) is var s && float.IsNaN(s) ? 0 : s; // a stored zero vector resembles nothing

    /// <summary>
    /// First call: the whole collection. Later: the ids written since the newest row seen (minus <see cref="CatchUpOverlap"/>),
    /// then the vectors of those not in the index yet: one small query when nothing is new. The watermark moves only
    /// after a complete read, so a cancelled load is simply done again.
    /// </summary>
    private async Task CatchUpAsync(CancellationToken ct)
    {
        await _catchUp.WaitAsync(ct);
        try
        {
            await using var db = dbFactory.Create();
            var rows = db.MemoryEntries.AsNoTracking().Where(m => m.Collection == collection);
            if (_newestSeen is { } newest)
            {
                var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
                var since = (newest < now ? newest : now) - CatchUpOverlap;
                var recent = await rows.Where(m => m.CreatedAt >= since).Select(m => m.Id).ToListAsync(ct);
                var unseen = recent.Where(id => !_index.Contains(id)).ToList();
                if (unseen.Count == 0) return;
                rows = rows.Where(m => unseen.Contains(m.Id));
            }
            var newestRead = _newestSeen;
            await foreach (var row in rows.Select(m => new { m.Id, m.Kind, m.RunId, m.Vector, m.CreatedAt }).AsAsyncEnumerable().WithCancellation(ct))
            {
                _index.Add(row.Id, row.Kind, row.RunId, MemoryMarshal.Cast<byte, float>(row.Vector));
                if (newestRead is null || row.CreatedAt > newestRead) newestRead = row.CreatedAt;
            }
            _newestSeen = newestRead;
        }
        finally
        {
            _catchUp.Release();
        }
    }
}
