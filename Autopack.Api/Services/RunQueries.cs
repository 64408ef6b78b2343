using Autopack.Api.Apis;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// The run reads of <c>GET /runs</c> and <c>GET /runs/{id}</c>, shaped for the database rather than the entity graph:
/// a page is two statements, the runs with their total, then the page's phases counted by state (GROUP BY), instead of
/// a count, the page and every phase row of the page. Every call reads what is committed; the endpoints keep its results
/// serialized in <see cref="RunReadCache"/>, checked against <see cref="RunVersions"/> on every request. docs/benchmarks.md
/// has the profile behind this shape.
/// </summary>
public sealed class RunQueries(AutopackDbContext db)
{
    public async Task<RunPage> ListAsync(RunState? state, int page, int pageSize, CancellationToken ct)
    {
        var runs = db.Runs.AsNoTracking();
        if (state is { } s) runs = runs.Where(r => r.State == s);
        var pageRuns = runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize);
        // The total rides along as a scalar subquery, which PostgreSQL and SQLite evaluate once for the statement.
        var rows = await pageRuns.Select(r => new { Run = r, Total = runs.Count() }).ToListAsync(ct);
        // Past the last page the statement has no row to carry the total.
        var total = rows.Count > 0 ? rows[0].Total : page == 1 ? 0 : await runs.CountAsync(ct);
        var ids = rows.Select(x => x.Run.Id).ToList();
        if (ids.Count == 0) return new RunPage([], total, page, pageSize);
        // The page's phases counted by state in SQL: a few rows per run instead of every phase row.
        var counts = (await db.Phases.Where(p => ids.Contains(p.RunId)).GroupBy(p => new { p.RunId, p.State })
                .Select(g => new { g.Key.RunId, g.Key.State, Count = g.Count() }).ToListAsync(ct))
            .ToLookup(c => c.RunId, c => (c.State, c.Count));
        var items = rows.Select(x => RunDto.From(x.Run, RunDto.ProgressOf(counts[x.Run.Id]))).ToList();
        return new RunPage(items, total, page, pageSize);
    }

    public async Task<RunDto?> GetAsync(string runId, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null) return null;
        var phases = await db.Phases.AsNoTracking().Where(p => p.RunId == runId).ToListAsync(ct);
        var tiers = await db.Tiers.AsNoTracking().Where(t => t.RunId == runId).ToListAsync(ct);
        return RunDto.From(run, phases.Select(p => p.State).ToList(), tiers, phases);
    }
}
