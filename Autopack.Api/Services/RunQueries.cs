using Autopack.Api.Apis;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// The run reads of <c>GET /runs</c> and <c>GET /runs/{id}</c>, shaped for the database rather than the entity graph:
/// a page is one statement that counts each run's phases by state in SQL and the total in the same statement (instead
/// of a count, the page and every phase row of the page). Nothing is cached: every call reads what is committed, so
/// all replicas answer the same after any write. docs/benchmarks.md has the profile behind this shape.
/// </summary>
public sealed class RunQueries(AutopackDbContext db)
{
    public async Task<RunPage> ListAsync(RunState? state, int page, int pageSize, CancellationToken ct)
    {
        var runs = db.Runs.AsNoTracking();
        if (state is { } s) runs = runs.Where(r => r.State == s);
        // Correlated counts on the (run_id, state) index rather than a GROUP BY over all phases, which the planner
        // would aggregate for every run before joining the page; portable to SQLite, which has no LATERAL.
        var rows = await runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(r => new
            {
                Run = r,
                Total = runs.Count(),
                Phases = db.Phases.Count(p => p.RunId == r.Id),
                Completed = db.Phases.Count(p => p.RunId == r.Id && (p.State == PhaseState.Complete || p.State == PhaseState.Skipped)),
                Failed = db.Phases.Count(p => p.RunId == r.Id && p.State == PhaseState.Failed),
                Executing = db.Phases.Count(p => p.RunId == r.Id
                    && (p.State == PhaseState.Executing || p.State == PhaseState.Gate || p.State == PhaseState.CiRunning)),
                Queued = db.Phases.Count(p => p.RunId == r.Id && p.State == PhaseState.Queued),
            })
            .ToListAsync(ct);
        // Past the last page the statement has no row to carry the total.
        var total = rows.Count > 0 ? rows[0].Total : page == 1 ? 0 : await runs.CountAsync(ct);
        var items = rows.Select(x => RunDto.From(x.Run, ProgressDto.Of(x.Phases, x.Completed, x.Failed, x.Executing, x.Queued))).ToList();
        return new RunPage(items, total, page, pageSize);
    }

    /// <summary>
    /// The run with its phases in one statement (a join), the tiers in a second: both collections in one statement would
    /// return tiers × phases rows.
    /// </summary>
    public async Task<RunDto?> GetAsync(string runId, CancellationToken ct)
    {
        var row = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { Run = r, Phases = db.Phases.Where(p => p.RunId == r.Id).ToList() })
            .SingleOrDefaultAsync(ct);
        if (row is null) return null;
        var tiers = await db.Tiers.AsNoTracking().Where(t => t.RunId == runId).ToListAsync(ct);
        return RunDto.From(row.Run, row.Phases.Select(p => p.State).ToList(), tiers, row.Phases);
    }
}
