using Autopack.Core.Configuration;
using Autopack.Core.Data;

namespace Autopack.Tests.Infrastructure;

/// <summary>A fresh, migrated database on either provider: a new database on the shared test PostgreSQL server, or a temp SQLite file.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string Postgres = "postgres";
    public const string Sqlite = "sqlite";

    public required string Provider { get; init; }
    /// <summary>DATABASE_URL form (postgresql://... or sqlite:///...).</summary>
    public required string Url { get; init; }
    public required DatabaseConnection Connection { get; init; }
    public required string StateRoot { get; init; }

    public AutopackDbContext CreateContext() => AutopackDataRegistration.CreateContext(Connection);

    public static async Task<TestDatabase> CreateAsync(string provider, bool migrate = true)
    {
        var stateRoot = Directory.CreateTempSubdirectory("autopack-test-").FullName;
        string url;
        if (provider == Postgres)
        {
            var server = await TestPostgres.ServerAsync();
            var name = "t_" + Guid.NewGuid().ToString("N")[..16];
            await server.EnsureDatabaseAsync(name);
            url = server.Url(name);
        }
        else
        {
            url = "sqlite:///" + Path.Combine(stateRoot, "autopack.db");
        }
        var db = new TestDatabase { Provider = provider, Url = url, Connection = DatabaseConnection.Parse(url, stateRoot), StateRoot = stateRoot };
        if (migrate)
        {
            await using var ctx = db.CreateContext();
            await SchemaGuard.MigrateAsync(ctx);
        }
        return db;
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(StateRoot, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
