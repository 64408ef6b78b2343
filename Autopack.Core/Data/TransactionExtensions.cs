using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Data;

/// <summary>
/// Every explicit transaction of Autopack runs through <see cref="RunInTransactionAsync{T}"/>: inside the context's
/// execution strategy, so on PostgreSQL a transient failure (a dropped connection, a server restart) reruns the whole
/// transaction instead of one statement of it, and EF accepts the user transaction under its retrying strategy.
/// <para>
/// Each try starts from an empty change tracker and runs the work from the top, so everything it decides is read again
/// and nothing the failed try added or changed leaks into the next one. The work must therefore compute its state
/// inside the delegate, and keep side effects (logs of what happened, notifications, in-memory counters) for after
/// this returns, when the commit has succeeded.
/// </para>
/// <para>
/// A commit whose acknowledgement is lost (EF Core docs, "Transaction commit failure and the idempotency issue") may
/// have happened. The marker is the first run event the try wrote: <c>run_events.id</c> comes from an identity
/// sequence, which never hands a value out twice, even to a transaction that rolled back, so a row with that id
/// means this try committed; the result is returned instead of running the work again (which would write the state
/// change's event and outbox rows twice). A transaction that writes no run event must be safe to run twice through
/// its own writes (conditional updates, unique keys); its call site says which.
/// </para>
/// </summary>
public static class TransactionExtensions
{
    public static async Task<T> RunInTransactionAsync<T>(this AutopackDbContext db, Func<Task<T>> work, CancellationToken ct = default)
    {
        long? writtenEvent = null;
        return await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(
            async _ =>
            {
                db.ChangeTracker.Clear();
                writtenEvent = null;
                var result = await work();
                await db.SaveChangesAsync(ct);
                writtenEvent = db.ChangeTracker.Entries<RunEvent>().Select(e => (long?)e.Entity.Id).FirstOrDefault();
                return result;
            },
            async verifyCt => writtenEvent is { } id && await db.RunEvents.AnyAsync(e => e.Id == id, verifyCt),
            ct);
    }

    public static Task RunInTransactionAsync(this AutopackDbContext db, Func<Task> work, CancellationToken ct = default) =>
        db.RunInTransactionAsync(async () => { await work(); return true; }, ct);
}
