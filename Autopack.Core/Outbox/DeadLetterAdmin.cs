using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Outbox;

/// <summary>Outbox statistics and the dead-letter queue: list, replay one or all, purge.</summary>
public static class DeadLetterAdmin
{
    public sealed record OutboxStats(IReadOnlyDictionary<string, int> ByStatus, double? OldestPendingAgeSeconds, int Stuck);

    public static async Task<OutboxStats> StatsAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var counts = await db.OutboxMessages.GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var byStatus = Enum.GetValues<OutboxStatus>().ToDictionary(s => EnumNames.ToWire(s), s => counts.FirstOrDefault(c => c.Key == s)?.Count ?? 0);
        var oldest = await db.OutboxMessages.Where(m => m.Status == OutboxStatus.Pending).OrderBy(m => m.CreatedAt).Select(m => (DateTime?)m.CreatedAt).FirstOrDefaultAsync(ct);
        var now = db.UtcNow;
        var stuck = await db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Processing && m.LockedUntil < now, ct);
        return new OutboxStats(byStatus, oldest is null ? null : Math.Round((now - oldest.Value).TotalSeconds, 1), stuck);
    }

    public static async Task<(int Total, int Waiting, int Replayed)> DeadLetterStatsAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var total = await db.DeadLetters.CountAsync(ct);
        var replayed = await db.DeadLetters.CountAsync(d => d.ReplayedAt != null, ct);
        return (total, total - replayed, replayed);
    }

    public static Task<List<DeadLetter>> ListAsync(AutopackDbContext db, int limit = 200, CancellationToken ct = default) =>
        db.DeadLetters.AsNoTracking().OrderByDescending(d => d.DeadAt).Take(limit).ToListAsync(ct);

    /// <summary>Puts the dead message back in the queue with a fresh attempt budget. False when there is no such dead letter.</summary>
    /// <remarks>Safe to rerun: both writes are conditional (a letter not yet replayed, a message still DEAD).</remarks>
    public static Task<bool> RetryAsync(AutopackDbContext db, long deadLetterId, CancellationToken ct = default) => db.RunInTransactionAsync(async () =>
    {
        var letter = await db.DeadLetters.SingleOrDefaultAsync(d => d.Id == deadLetterId && d.ReplayedAt == null, ct);
        if (letter is null) return false;
        var now = db.UtcNow;
        await db.OutboxMessages.Where(m => m.Id == letter.MessageId && m.Status == OutboxStatus.Dead)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboxStatus.Pending).SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now).SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedTerm, (long?)null), ct);
        letter.ReplayedAt = now;
        return true;
    }, ct);

    public static async Task<int> RetryAllAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var ids = await db.DeadLetters.Where(d => d.ReplayedAt == null).Select(d => d.Id).ToListAsync(ct);
        var count = 0;
        foreach (var id in ids) if (await RetryAsync(db, id, ct)) count++;
        return count;
    }

    /// <summary>Deletes every dead letter and its dead message.</summary>
    /// <remarks>Safe to rerun: deleting again deletes nothing more.</remarks>
    public static Task<int> PurgeAsync(AutopackDbContext db, CancellationToken ct = default) => db.RunInTransactionAsync(async () =>
    {
        await db.OutboxMessages.Where(m => m.Status == OutboxStatus.Dead).ExecuteDeleteAsync(ct);
        return await db.DeadLetters.ExecuteDeleteAsync(ct);
    }, ct);
}
