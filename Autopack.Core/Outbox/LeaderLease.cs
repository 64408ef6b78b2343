using Autopack.Core.Data;
using Microsoft.EntityFrameworkCore;

// EF1002: the SQL text is assembled only from constants (clock expressions, parameter names); every value
// travels as a parameter.
#pragma warning disable EF1002

namespace Autopack.Core.Outbox;

/// <summary>
/// Single-leader lease in <c>worker_leases</c>, taken and renewed against the database clock (unlike a session
/// advisory lock, it is not silently lost with a connection). The term grows by one whenever the holder
/// changes; every claim and mark is fenced by (holder, term), so a paused ex-leader cannot deliver.
/// </summary>
public static class LeaderLease
{
    public const string OutboxRelay = "outbox-relay";

    /// <summary>Takes the lease if free or expired, renews it if ours. Returns our term, or null when someone else holds it.</summary>
    public static async Task<long?> TryAcquireAsync(AutopackDbContext db, string name, string holder, TimeSpan period, CancellationToken ct = default)
    {
        var now = SqlClock.Now(db);
        var until = SqlClock.Now(db, "@p2");
        var sql = $"""
            INSERT INTO worker_leases (name, holder, term, expires_at, acquired_at, renewed_at)
            VALUES (@p0, @p1, 1, {until}, {now}, {now})
            ON CONFLICT (name) DO UPDATE SET
                term = CASE WHEN worker_leases.holder = excluded.holder THEN worker_leases.term ELSE worker_leases.term + 1 END,
                acquired_at = CASE WHEN worker_leases.holder = excluded.holder THEN worker_leases.acquired_at ELSE excluded.acquired_at END,
                holder = excluded.holder,
                expires_at = excluded.expires_at,
                renewed_at = excluded.renewed_at
            WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_at < {now}
            RETURNING term AS "Value"
            """;
        var terms = await db.Database.SqlQueryRaw<long>(sql, Params(db, name, holder, period.TotalSeconds)).ToListAsync(ct);
        return terms.Count == 1 ? terms[0] : null;
    }

    /// <summary>Gives the lease up at once (clean shutdown), so the standby need not wait for expiry.</summary>
    /// <remarks>Expiry is set a second in the past: "expires now" would still block a taker whose clock reading falls
    /// in the same millisecond (SQLite's clock resolution), since takeover needs <c>expires_at &lt; now</c>.</remarks>
    public static Task ReleaseAsync(AutopackDbContext db, string name, string holder, CancellationToken ct = default) =>
        db.Database.ExecuteSqlRawAsync($"UPDATE worker_leases SET expires_at = {SqlClock.Now(db, "@p2")} WHERE name = @p0 AND holder = @p1",
            Params(db, name, holder, -1.0), ct);

    /// <summary>SQL that is true only while (holder, term) still holds the lease.</summary>
    internal static string FenceSql(AutopackDbContext db, string nameParam, string holderParam, string termParam) =>
        $"EXISTS (SELECT 1 FROM worker_leases l WHERE l.name = {nameParam} AND l.holder = {holderParam} AND l.term = {termParam} AND l.expires_at > {SqlClock.Now(db)})";

    internal static object[] Params(AutopackDbContext db, params object[] values) =>
        values.Select((v, i) => db.IsPostgres
            ? (object)new Npgsql.NpgsqlParameter($"p{i}", v)
            : new Microsoft.Data.Sqlite.SqliteParameter($"@p{i}", v)).ToArray();
}
