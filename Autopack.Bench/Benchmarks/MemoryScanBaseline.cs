using System.Runtime.InteropServices;
using Autopack.Core.Data;
using Autopack.Executor.Memory;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// The embedded index as it was before the in-memory <see cref="VectorIndex"/>: every query reads the newest
/// <c>window</c> rows of the collection from the database and ranks them with a scalar cosine loop. Kept only as the
/// memory benchmark's same-run baseline.
/// </summary>
public sealed class MemoryScanBaseline(IAutopackDbFactory dbFactory, string collection, int window)
{
    public async Task<IReadOnlyList<MemoryHit>> SearchAsync(float[] vector, int limit)
    {
        await using var db = dbFactory.Create();
        var rows = await db.MemoryEntries.AsNoTracking().Where(m => m.Collection == collection)
            .OrderByDescending(m => m.CreatedAt).Take(window).ToListAsync();
        return rows
            .Select(r => (Row: r, Score: Cosine(vector, MemoryMarshal.Cast<byte, float>(r.Vector))))
            .Where(x => !double.IsNaN(x.Score))
            .OrderByDescending(x => x.Score).Take(limit)
            .Select(x => new MemoryHit(x.Row.Kind, x.Row.Text, x.Score, x.Row.RunId, x.Row.PhaseId))
            .ToList();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0) return double.NaN;
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
