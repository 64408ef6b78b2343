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
    /// and row versions in order, then its phases' row versions in id order. Run ids hold only letters, digits, '.', '_'
    /// and '-' (RunPlanValidator), so the separators cannot make two pages read alike.</summary>
    public async Task<string> OfPageAsync(RunState? state, int page, int pageSize, CancellationToken ct)
    {
        var where = state is null ? "" : " WHERE state = @state";
        var sql = $"SELECT (SELECT coalesce(sum(delta), 0) FROM run_counts{where})::text || '|' || coalesce((" +
            "SELECT string_agg(r.id || '@' || r.xmin::text, ';' ORDER BY r.created_at DESC, r.id DESC) || '/' || " +
            "coalesce((SELECT string_agg(p.xmin::text, ',' ORDER BY p.id) FROM phases p WHERE p.run_id = ANY(array_agg(r.id))), '') " +
            $"FROM (SELECT id, xmin, created_at FROM runs{where} ORDER BY created_at DESC, id DESC OFFSET @skip LIMIT @take) r), '')";
        return await ScalarAsync(sql, c =>
        {
            if (state is { } s) Add(c, "state", EnumNames.ToWire(s));
            Add(c, "skip", (page - 1) * pageSize);
            Add(c, "take", pageSize);
        }, ct) ?? "";
    }

    /// <summary>Straight through the context's connection (no LINQ to translate, no entity to materialize), prepared (the
    /// plan is kept on the pooled connection: planning cost as much as running these), inside the execution strategy
    /// so a transient failure is retried as EF's own reads are.</summary>
    private Task<string?> ScalarAsync(string sql, Action<DbCommand> parameters, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await db.Database.OpenConnectionAsync(token);
            try
            {
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = sql;
                parameters(command);
                await command.PrepareAsync(token);
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
