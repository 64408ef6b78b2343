using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Autopack.Core.Data;

/// <summary>
/// Services never create schema silently: they start only on an up-to-date schema, apply migrations
/// only when told to (AUTOPACK_DB_BOOTSTRAP=1 or the migrate verb), and otherwise exit with the fix.
/// </summary>
public static class SchemaGuard
{
    public const string BootstrapVariable = "AUTOPACK_DB_BOOTSTRAP";

    public static async Task EnsureAsync(AutopackDbContext db, bool bootstrap, ILogger logger, CancellationToken ct = default)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count == 0) return;
        if (!bootstrap) throw new SchemaNotReadyException(pending);
        logger.LogInformation("AUTOPACK_DB_BOOTSTRAP=1: applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
        await MigrateAsync(db, ct);
    }

    /// <summary>Advisory lock key for migrations on PostgreSQL ("autopack" in ASCII).</summary>
    private const long MigrationLockKey = 0x6175746f7061636b;

    /// <summary>
    /// Idempotent, and two starters cannot race. On PostgreSQL EF Core's own lock lasts one migration's transaction,
    /// so a second starter that read the pending list earlier could apply a later migration twice; a session
    /// advisory lock held around the whole run makes the second starter wait, then find nothing pending.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        if (!db.IsPostgres)
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            // WAL lets the API read while the executor writes; it is a property of the file, so once is enough.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            return pending;
        }
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock({0})", [MigrationLockKey], ct);
            try
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                if (pending.Count > 0) await db.Database.MigrateAsync(ct);
                return pending;
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock({0})", [MigrationLockKey], CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

public sealed class SchemaNotReadyException(IReadOnlyList<string> pending) : Exception(
    $"The Autopack database schema is missing or behind: {pending.Count} migration(s) not applied ({string.Join(", ", pending)}). " +
    "Apply them with `dotnet Autopack.Api.dll migrate` (the production way), " +
    "or start with AUTOPACK_DB_BOOTSTRAP=1 to apply them at start (development).")
{
    public IReadOnlyList<string> Pending { get; } = pending;
}
