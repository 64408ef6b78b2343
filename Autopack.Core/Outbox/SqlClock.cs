using Autopack.Core.Data;

namespace Autopack.Core.Outbox;

/// <summary>The database's own clock in SQL, so leases and backoff never depend on the workers' clocks agreeing.</summary>
internal static class SqlClock
{
    /// <summary>Now, plus <paramref name="secondsParameter"/> seconds when given.</summary>
    public static string Now(AutopackDbContext db, string? secondsParameter = null) => db.IsPostgres
        ? secondsParameter is null ? "now()" : $"(now() + make_interval(secs => {secondsParameter}))"
        // EF stores SQLite timestamps as 'yyyy-MM-dd HH:mm:ss.fffffff' text, which compares in time order.
        : secondsParameter is null ? "strftime('%Y-%m-%d %H:%M:%f', 'now')" : $"strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', {secondsParameter}))";
}
