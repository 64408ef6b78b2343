using Autopack.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// Folds the signed rows the triggers add to <c>run_counts</c> (one or two per run created or changing state) into one
/// row per state, so the page version of <c>GET /runs</c> adds a handful of rows rather than every change since the
/// last fold. The fold is one statement — what it deletes it inserts back summed — so every snapshot still adds up
/// to the exact counts; a replica that finds another one folding (the advisory lock) leaves it to that one.
/// </summary>
public sealed class RunCountCompactor(IAutopackDbFactory dbFactory, TimeProvider time, ILogger<RunCountCompactor> logger)
    : DatabaseSweep(dbFactory, time, logger)
{
    /// <summary>At ~500 runs created a second (the API benchmark's POST rounds) a second's rows add up in well under 0.1 ms.</summary>
    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    /// <summary>Advisory lock key for the fold ("runcount" in ASCII).</summary>
    private const long LockKey = 0x72756e636f756e74;

    public static Task<int> FoldAsync(AutopackDbContext db, CancellationToken ct) => db.Database.ExecuteSqlRawAsync(
        "WITH turn AS MATERIALIZED (SELECT pg_try_advisory_xact_lock({0}) AS mine), " +
        "gone AS (DELETE FROM run_counts WHERE (SELECT mine FROM turn) RETURNING state, delta) " +
        "INSERT INTO run_counts (state, delta) SELECT state, sum(delta) FROM gone GROUP BY state HAVING sum(delta) <> 0",
        [LockKey], ct);

    // SQLite keeps no row versions, so nothing reads run_counts there (and it has no such table).
    protected override Task SweepAsync(AutopackDbContext db, CancellationToken ct) => db.IsPostgres ? FoldAsync(db, ct) : Task.CompletedTask;
}
