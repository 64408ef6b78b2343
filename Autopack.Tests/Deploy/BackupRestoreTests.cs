using System.Diagnostics;
using System.Net.Http.Json;
using Autopack.Core.Configuration;
using Autopack.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Autopack.Tests.Deploy;

/// <summary>
/// The backup and restore scripts the Compose backup service and the Kubernetes CronJob run (deploy/compose/backup/),
/// run here as they are against real PostgreSQL servers: a database filled through the API, dumped with backup.sh,
/// restored with restore.sh into a fresh server, then compared table by table, row by row.
/// </summary>
[Trait("Category", "Process")]
public sealed class BackupRestoreTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
    private static readonly string Scripts = Path.Combine(Repo, "deploy", "compose", "backup");
    private TestDatabase _source = null!;
    private LocalPostgres _server = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _source = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        _server = await TestPostgres.ServerAsync();
        _dir = Directory.CreateTempSubdirectory("autopack-backup-").FullName;
        // The password reaches the scripts as a file, as in the deployments (PGPASSWORD_FILE).
        await File.WriteAllTextAsync(Path.Combine(_dir, "password"), _server.Password);
    }

    /// <summary>A run with its tiers, phases, events and outbox messages, an approval, a kill switch, an API key: all through the API.</summary>
    private async Task FillAsync()
    {
        await using var api = new ApiFactory(_source);
        var http = api.Admin();
        foreach (var id in new[] { "backup-run-1", "backup-run-2" })
        {
            var plan = RunPlans.Simple(id, phases: 3);
            plan["name"] = "Sauvegarde ✓ — ünïcode";
            (await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json)).EnsureSuccessStatusCode();
        }
        var approval = await http.PostAsJsonAsync("/approvals", new { run_id = "backup-run-1", reason = "check before merging" }, ApiFactory.Json);
        approval.EnsureSuccessStatusCode();
        var approvalId = (await approval.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("approval_id").GetString();
        (await http.PostAsJsonAsync($"/approvals/{approvalId}/approve", new { comment = "fine" }, ApiFactory.Json)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync("/kill-switches/disable_autonomous", new { enabled = true, reason = "maintenance" }, ApiFactory.Json)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/admin/api-keys", new { name = "ci", role = "operator" }, ApiFactory.Json)).EnsureSuccessStatusCode();
        (await http.PostAsync("/runs/backup-run-2/cancel", null)).EnsureSuccessStatusCode();
    }

    private Dictionary<string, string?> Pg(string database, int port) => new()
    {
        ["PGHOST"] = "127.0.0.1", ["PGPORT"] = port.ToString(), ["PGUSER"] = LocalPostgres.Superuser, ["PGDATABASE"] = database,
        ["PGPASSWORD_FILE"] = Path.Combine(_dir, "password"), ["PGPASSWORD"] = null,
    };

    private static async Task<(int Code, string Output)> RunScriptAsync(string script, IDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("sh", [Path.Combine(Scripts, script), .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>Every table of the public schema: its row count and a digest of all its rows (sorted by their text form).</summary>
    private static async Task<SortedDictionary<string, (long Rows, string Digest)>> SnapshotAsync(string connectionString)
    {
        var result = new SortedDictionary<string, (long, string)>(StringComparer.Ordinal);
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", conn))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        foreach (var table in tables)
        {
            await using var digest = new NpgsqlCommand($"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM \"{table}\" t", conn);
            await using var reader = await digest.ExecuteReaderAsync();
            await reader.ReadAsync();
            result[table] = (reader.GetInt64(0), reader.GetString(1));
        }
        await using (var seq = new NpgsqlCommand("SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'", conn))
        await using (var reader = await seq.ExecuteReaderAsync())
            while (await reader.ReadAsync()) result["sequence " + reader.GetString(0)] = (reader.GetInt64(1), "");
        return result;
    }

    private static string ConnectionString(LocalPostgres server, string database) => server.ConnectionString(database);

    private string SourceDatabase => new NpgsqlConnectionStringBuilder(_source.Connection.ConnectionString).Database!;

    [Fact]
    public async Task A_backup_restored_into_a_fresh_server_has_every_row_of_every_table()
    {
        await FillAsync();
        var database = SourceDatabase;
        var backups = Directory.CreateDirectory(Path.Combine(_dir, "backups")).FullName;
        var (code, log) = await RunScriptAsync("backup.sh", new Dictionary<string, string?>(Pg(database, _server.Port)) { ["BACKUP_DIR"] = backups });
        output.WriteLine(log);
        Assert.True(code == 0, log);
        var dump = Assert.Single(Directory.GetFiles(backups));
        Assert.Matches(@"autopack-\d{8}T\d{6}Z\.dump$", dump);
        Assert.Equal("PGDMP", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(dump)[..5])); // pg_dump's custom format

        await using var fresh = await LocalPostgres.StartAsync(Path.Combine(_dir, "fresh", "data"), durable: false);
        await fresh.EnsureDatabaseAsync("autopack");
        await File.WriteAllTextAsync(Path.Combine(_dir, "password"), fresh.Password);
        (code, log) = await RunScriptAsync("restore.sh", Pg("autopack", fresh.Port), dump);
        output.WriteLine(log);
        Assert.True(code == 0, log);

        var before = await SnapshotAsync(ConnectionString(_server, database));
        var after = await SnapshotAsync(ConnectionString(fresh, "autopack"));
        foreach (var (table, (rows, _)) in before) output.WriteLine($"{table}: {rows} row(s) before, {after.GetValueOrDefault(table).Rows} after");
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (table, snapshot) in before) Assert.True(snapshot == after[table], $"{table} differs after the restore: {snapshot} vs {after[table]}");
        // Not vacuous: the run's own rows are there.
        foreach (var table in new[] { "runs", "phases", "tiers", "run_events", "outbox_messages", "approval_requests", "api_keys", "kill_switches" })
            Assert.True(before.TryGetValue(table, out var t) && t.Rows > 0, $"no rows in {table}: {string.Join(", ", before.Keys)}");
        Assert.Equal(6, before["phases"].Rows);

        // Restoring again over the restored copy (the procedure after a bad upgrade) gives the same database.
        (code, log) = await RunScriptAsync("restore.sh", Pg("autopack", fresh.Port), dump);
        Assert.True(code == 0, log);
        Assert.Equal(after, await SnapshotAsync(ConnectionString(fresh, "autopack")));
    }

    [Fact]
    public async Task Retention_deletes_only_dumps_older_than_the_window_and_a_failed_backup_deletes_nothing()
    {
        var database = SourceDatabase;
        var backups = Directory.CreateDirectory(Path.Combine(_dir, "backups")).FullName;
        string Old(string name, int days)
        {
            var path = Path.Combine(backups, name);
            File.WriteAllText(path, "old");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-days));
            return path;
        }
        var expired = Old("autopack-20260101T023000Z.dump", 15);
        var kept = Old("autopack-20260110T023000Z.dump", 6);
        var unrelated = Old("notes.txt", 400);

        // A backup that cannot reach its server fails, leaves no partial file, and deletes nothing.
        var (code, log) = await RunScriptAsync("backup.sh", new Dictionary<string, string?>(Pg(database, LocalPostgres.FreePort()))
            { ["BACKUP_DIR"] = backups, ["BACKUP_RETENTION_DAYS"] = "7" });
        output.WriteLine(log);
        Assert.NotEqual(0, code);
        Assert.Equal(new[] { expired, kept, unrelated }.Order(), Directory.GetFiles(backups).Order());

        (code, log) = await RunScriptAsync("backup.sh", new Dictionary<string, string?>(Pg(database, _server.Port))
            { ["BACKUP_DIR"] = backups, ["BACKUP_RETENTION_DAYS"] = "7" });
        output.WriteLine(log);
        Assert.True(code == 0, log);
        Assert.False(File.Exists(expired));
        Assert.True(File.Exists(kept) && File.Exists(unrelated));
        Assert.Equal(2, Directory.GetFiles(backups, "autopack-*.dump").Length);
        Assert.Contains("deleted " + expired, log);
    }

    [Fact]
    public async Task Restoring_a_damaged_dump_fails_and_leaves_the_target_database_as_it_was()
    {
        await FillAsync();
        var database = SourceDatabase;
        var backups = Directory.CreateDirectory(Path.Combine(_dir, "backups")).FullName;
        var (code, log) = await RunScriptAsync("backup.sh", new Dictionary<string, string?>(Pg(database, _server.Port)) { ["BACKUP_DIR"] = backups });
        Assert.True(code == 0, log);
        var dump = Directory.GetFiles(backups).Single();
        var bytes = await File.ReadAllBytesAsync(dump);
        var damaged = Path.Combine(_dir, "damaged.dump");
        await File.WriteAllBytesAsync(damaged, bytes[..(bytes.Length * 2 / 3)]);

        // The target is a copy of the source; a failed restore must not have dropped anything from it.
        var target = "t_target_" + Guid.NewGuid().ToString("N")[..8];
        await _server.EnsureDatabaseAsync(target);
        (code, log) = await RunScriptAsync("restore.sh", Pg(target, _server.Port), dump);
        Assert.True(code == 0, log);
        var before = await SnapshotAsync(ConnectionString(_server, target));

        (code, log) = await RunScriptAsync("restore.sh", Pg(target, _server.Port), damaged);
        output.WriteLine(log);
        Assert.NotEqual(0, code);
        Assert.Equal(before, await SnapshotAsync(ConnectionString(_server, target)));
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
