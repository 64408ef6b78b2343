using Autopack.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Autopack.Core.Events;

/// <summary>
/// On PostgreSQL a run event also raises <c>NOTIFY autopack_run_events, '&lt;run id&gt;'</c>, delivered at commit, so
/// the API's event feed reads new events at once instead of on its next poll. Only a wake-up: events are always
/// read from <c>run_events</c>, and the poll stays as the fallback (SQLite, a dropped listener).
/// </summary>
public static class RunEventNotifications
{
    public const string Channel = "autopack_run_events";

    /// <summary>Queues the notification in the caller's transaction (sent when it commits; dropped if it rolls back).</summary>
    public static async Task NotifyAsync(AutopackDbContext db, string runId, CancellationToken ct)
    {
        if (db.IsPostgres) await db.Database.ExecuteSqlRawAsync("SELECT pg_notify('" + Channel + "', {0})", [runId], ct);
    }

    /// <summary>Listens until cancelled, calling <paramref name="onRun"/> with each notified run id. Throws when the connection fails.</summary>
    public static async Task ListenAsync(string connectionString, Action<string> onRun, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 30, Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        conn.Notification += (_, e) => onRun(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(ct);
        while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
    }
}
