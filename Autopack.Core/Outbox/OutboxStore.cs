using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

// EF1002: the SQL text is assembled only from constants (clock expressions, parameter names); every value
// travels as a parameter.
#pragma warning disable EF1002

namespace Autopack.Core.Outbox;

/// <summary>
/// Claims and settles outbox messages for the lease holder. Claims take the oldest due messages (and
/// messages left PROCESSING by a dead worker) with <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; every
/// statement is fenced by the lease term. A claim counts as an attempt, so a message that crashes its
/// worker still reaches its attempt limit instead of looping for ever.
/// </summary>
public static class OutboxStore
{
    public static async Task<List<OutboxMessage>> ClaimAsync(AutopackDbContext db, string holder, long term, int batchSize, TimeSpan lockFor, CancellationToken ct = default)
    {
        var now = SqlClock.Now(db);
        var skipLocked = db.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";
        var sql = $"""
            UPDATE outbox_messages SET status = 'PROCESSING', claimed_by = @p1, claimed_term = @p2,
                locked_until = {SqlClock.Now(db, "@p3")}, attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM outbox_messages
                WHERE (status = 'PENDING' AND next_attempt_at <= {now}) OR (status = 'PROCESSING' AND locked_until < {now})
                ORDER BY created_at LIMIT @p4 {skipLocked})
              AND {LeaderLease.FenceSql(db, "@p0", "@p1", "@p2")}
            RETURNING *
            """;
        var claimed = await db.OutboxMessages.FromSqlRaw(sql, LeaderLease.Params(db, LeaderLease.OutboxRelay, holder, term, lockFor.TotalSeconds, batchSize))
            .AsNoTracking().ToListAsync(ct);
        return claimed.OrderBy(m => m.CreatedAt).ToList();
    }

    public static Task<int> MarkDeliveredAsync(AutopackDbContext db, OutboxMessage m, string holder, long term, CancellationToken ct = default) =>
        Settle(db, m, holder, term, Delivered(db), [], ct);

    /// <summary>Marks many delivered messages at once (one statement on PostgreSQL); returns the ids it settled.</summary>
    public static async Task<HashSet<Guid>> MarkDeliveredAsync(AutopackDbContext db, IReadOnlyCollection<OutboxMessage> messages, string holder, long term,
        CancellationToken ct = default)
    {
        if (!db.IsPostgres)
        {
            return await db.RunInTransactionAsync(async () =>
            {
                var done = new HashSet<Guid>();
                foreach (var m in messages)
                    if (await MarkDeliveredAsync(db, m, holder, term, ct) == 1) done.Add(m.Id);
                return done;
            }, ct);
        }
        var ids = await db.Database.SqlQueryRaw<Guid>($"""
            UPDATE outbox_messages SET {Delivered(db)}
            WHERE id = ANY(@p3) AND status = 'PROCESSING' AND claimed_by = @p1 AND claimed_term = @p2
              AND {LeaderLease.FenceSql(db, "@p0", "@p1", "@p2")}
            RETURNING id AS "Value"
            """, LeaderLease.Params(db, LeaderLease.OutboxRelay, holder, term, messages.Select(m => m.Id).ToArray())).ToListAsync(ct);
        return [.. ids];
    }

    private static string Delivered(AutopackDbContext db) => $"status = 'DELIVERED', delivered_at = {SqlClock.Now(db)}, last_error = NULL, locked_until = NULL";

    public static Task<int> MarkSkippedAsync(AutopackDbContext db, OutboxMessage m, string holder, long term, string reason, CancellationToken ct = default) =>
        Settle(db, m, holder, term, "status = 'SKIPPED', last_error = @p4, locked_until = NULL", [reason], ct);

    public static Task<int> ScheduleRetryAsync(AutopackDbContext db, OutboxMessage m, string holder, long term, string error, TimeSpan delay, CancellationToken ct = default) =>
        Settle(db, m, holder, term, $"status = 'PENDING', last_error = @p4, next_attempt_at = {SqlClock.Now(db, "@p5")}, locked_until = NULL", [error, delay.TotalSeconds], ct);

    /// <summary>DEAD plus a dead-letter row, together.</summary>
    /// <remarks>
    /// Safe to rerun: the dead-letter row is added only when this try's fenced update moved the message from PROCESSING, so a
    /// rerun after a lost commit acknowledgement changes nothing and adds no second dead letter (and answers 0).
    /// </remarks>
    public static Task<int> MarkDeadAsync(AutopackDbContext db, OutboxMessage m, string holder, long term, string error, CancellationToken ct = default) =>
        db.RunInTransactionAsync(async () =>
        {
            var changed = await Settle(db, m, holder, term, "status = 'DEAD', last_error = @p4, locked_until = NULL", [error], ct);
            if (changed == 1)
            {
                db.DeadLetters.Add(new DeadLetter
                {
                    MessageId = m.Id, Type = m.Type, Destination = m.Destination, Payload = m.Payload, Attempts = m.Attempts,
                    LastError = error, DeadAt = db.UtcNow,
                });
            }
            return changed;
        }, ct);

    private static Task<int> Settle(AutopackDbContext db, OutboxMessage m, string holder, long term, string set, object[] extra, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync($"""
            UPDATE outbox_messages SET {set}
            WHERE id = @p3 AND status = 'PROCESSING' AND claimed_by = @p1 AND claimed_term = @p2
              AND {LeaderLease.FenceSql(db, "@p0", "@p1", "@p2")}
            """, LeaderLease.Params(db, [LeaderLease.OutboxRelay, holder, term, m.Id, .. extra]), ct);
}
