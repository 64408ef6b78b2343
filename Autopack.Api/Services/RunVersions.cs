using System.Data.Common;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// What a run read shows, as of now, in one small statement: the PostgreSQL row versions (<c>xmin</c>, the id of the
/// transaction that wrote the row) of the run, its phases and its tiers, or for a page the total, the page's run ids in
/// order and each run's and its phases' row versions. Any committed write to those rows changes the version, whoever
/// made it (an API replica, an executor writing usage or a status reason without a run event), so a cached body with an
/// equal version is what a fresh read would return. <see langword="null"/> where the database has no row versions (SQLite).
/// </summary>
public sealed class RunVersions(AutopackDbContext db)
{
    private const string RunVersion =
        "SELECT r.xmin::text || '/' || coalesce((SELECT string_agg(p.xmin::text, ',' ORDER BY p.id) FROM phases p WHERE p.run_id = r.id), '')" +
        " || '/' || coalesce((SELECT string_agg(t.xmin::text, ',' ORDER BY t.id) FROM tiers t WHERE t.run_id = r.id), '')" +
        " FROM runs r WHERE r.id = @id";

    public bool Available => db.Database.IsNpgsql();

    /// <summary>The run's version; <see langword="null"/> when there is no such run.</summary>
    public Task<string?> OfRunAsync(string runId, CancellationToken ct) =>
        ScalarAsync(RunVersion, c => Add(c, "id", runId), ct);

    /// <summary>The version of a page as <see cref="RunQueries.ListAsync"/> orders and filters it: the total from
    /// <c>run_counts</c> (exact in every snapshot, and a few rows to add instead of every run to count), the page's ids
    /// and row versions in order, then its phases' row versions as the scan finds them. Run ids hold only letters, digits,
    /// '.', '_' and '-' (RunPlanValidator), so the separators cannot make two pages read alike. Sorting the 20 × N phase
    /// versions cost a third of the statement and buys nothing: a write gives its rows a transaction id no row had before,
    /// so a changed page always reads differently, and rows found in another order only cost a fresh read.</summary>
    /// <remarks>The state and the paging go into the text as literals (an enum's wire name and validated integers), so the
    /// statement has no parameter: with <c>OFFSET $1 LIMIT $2</c> PostgreSQL's generic plan guesses a tenth of the table
    /// and looks dearer than a custom one, so it re-planned on every execution, which cost as much as running it. Only
    /// the first pages are prepared, so deep paging cannot pile up statements on a pooled connection.</remarks>
    public async Task<string> OfPageAsync(RunState? state, int page, int pageSize, CancellationToken ct)
    {
        var where = state is { } s ? $" WHERE state = '{EnumNames.ToWire(s)}'" : "";
        var sql = $"SELECT (SELECT coalesce(sum(delta), 0) FROM run_counts{where})::text || '|' || coalesce((" +
            "SELECT string_agg(r.id || '@' || r.xmin::text, ';' ORDER BY r.created_at DESC, r.id DESC) || '/' || " +
            "coalesce((SELECT string_agg(p.xmin::text, ',') FROM phases p WHERE p.run_id = ANY(array_agg(r.id))), '') " +
            $"FROM (SELECT id, xmin, created_at FROM runs{where} ORDER BY created_at DESC, id DESC " +
            $"OFFSET {(long)(page - 1) * pageSize} LIMIT {pageSize}) r), '')";
        return await ScalarAsync(sql, _ => { }, ct, prepare: page <= PreparedPages) ?? "";
    }

    /// <summary>Pages up to this one have their version statement prepared on each pooled connection.</summary>
    public const int PreparedPages = 3;

    /// <summary>Straight through the context's connection (no LINQ to translate, no entity to materialize), prepared unless
    /// told not to (the plan is kept on the pooled connection: planning cost as much as running these), inside the execution strategy
    /// so a transient failure is retried as EF's own reads are.</summary>
    private Task<string?> ScalarAsync(string sql, Action<DbCommand> parameters, CancellationToken ct, bool prepare = true) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await db.Database.OpenConnectionAsync(token);
            try
            {
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = sql;
                parameters(command);
                if (prepare) await command.PrepareAsync(token);
                return await command.ExecuteScalarAsync(token) as string;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }, ct);

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
