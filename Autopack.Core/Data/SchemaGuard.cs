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

    /// <summary>Idempotent; EF Core takes a database lock around it, so two starters cannot race.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        await db.Database.MigrateAsync(ct);
        if (!db.IsPostgres)
        {
            // WAL lets the API read while the executor writes; it is a property of the file, so once is enough.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
        return pending;
    }
}

public sealed class SchemaNotReadyException(IReadOnlyList<string> pending) : Exception(
    $"The Autopack database schema is missing or behind: {pending.Count} migration(s) not applied ({string.Join(", ", pending)}). " +
    "Apply them with `dotnet Autopack.Api.dll migrate` (the production way), " +
    "or start with AUTOPACK_DB_BOOTSTRAP=1 to apply them at start (development).")
{
    public IReadOnlyList<string> Pending { get; } = pending;
}
