using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Tests.Infrastructure;

namespace Autopack.Bench.Harness;

/// <summary>A real PostgreSQL server for the whole benchmark run (durable settings, as in production) and fresh migrated databases on it.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly LocalPostgres _server;
    public string StateRoot { get; }

    private BenchDatabase(LocalPostgres server, string stateRoot) { _server = server; StateRoot = stateRoot; }

    public LocalPostgres Server => _server;

    public static async Task<BenchDatabase> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("autopack-bench-").FullName;
        var server = await LocalPostgres.StartAsync(Path.Combine(root, "pg"), durable: true);
        return new BenchDatabase(server, root);
    }

    /// <summary>A new, migrated database; returns its URL.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await _server.EnsureDatabaseAsync(name);
        var url = _server.Url(name);
        await using var db = AutopackDataRegistration.CreateContext(DatabaseConnection.Parse(url, StateRoot));
        await SchemaGuard.MigrateAsync(db);
        return url;
    }

    public string ConnectionString(string database) => _server.ConnectionString(database);

    public async Task<string> ServerVersionAsync()
    {
        await using var conn = new Npgsql.NpgsqlConnection(_server.ConnectionString());
        await conn.OpenAsync();
        return conn.ServerVersion;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(StateRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
