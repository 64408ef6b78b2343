using System.Runtime.InteropServices;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Memory;

/// <summary>The default backend: <see cref="MemoryEntry"/> rows (float32 vectors) ranked by cosine similarity in process.</summary>
public sealed class EmbeddedMemoryStore(IAutopackDbFactory dbFactory, string collection, int scanLimit = 5_000) : IMemoryStore
{
    public string Backend => "embedded";

    public async Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        db.MemoryEntries.Add(new MemoryEntry
        {
            Collection = collection, Kind = kind, Text = text, RunId = runId, PhaseId = phaseId,
            Vector = MemoryMarshal.AsBytes(vector.Span).ToArray(),
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, MemoryFilter? filter, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        var rows = await db.MemoryEntries.AsNoTracking().Where(m => m.Collection == collection)
            .OrderByDescending(m => m.CreatedAt).Take(scanLimit).ToListAsync(ct);
        return rows
            .Where(r => filter is null || filter.Matches(r.Kind, r.RunId))
            .Select(r => (row: r, score: Cosine(vector.Span, MemoryMarshal.Cast<byte, float>(r.Vector))))
            .Where(x => !double.IsNaN(x.score))
            .OrderByDescending(x => x.score).Take(limit)
            .Select(x => new MemoryHit(x.row.Kind, x.row.Text, x.score, x.row.RunId, x.row.PhaseId))
            .ToList();
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0) return double.NaN; // another embedder's vector
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
