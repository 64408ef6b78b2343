using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Foundation;

/// <summary>The test suite's own PostgreSQL cleans up after runs that could not (a killed test host).</summary>
[Trait("Category", "Db")]
public class TestPostgresTests
{
    [Fact]
    public async Task A_server_and_folder_left_by_a_dead_test_host_are_stopped_and_deleted()
    {
        // This run's own sweep happens when its shared server starts: start it first, so that sweep cannot race this test's setup.
        var shared = await TestPostgres.ServerAsync();
        // A folder named for a test host that no longer runs (no such pid), with its server still up, as a killed run leaves it.
        var folder = Path.Combine(Path.GetTempPath(), "autopack-test-pg-" + int.MaxValue);
        await using var left = await LocalPostgres.StartAsync(Path.Combine(folder, "data"), durable: false);
        var pid = left.ProcessId!.Value;

        TestPostgres.RemoveLeftovers();

        Assert.False(Directory.Exists(folder));
        Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains(folder, StringComparison.Ordinal),
            "the leftover server still runs");
        // The shared server of this run is untouched.
        await using var conn = new Npgsql.NpgsqlConnection(shared.ConnectionString());
        await conn.OpenAsync();
    }
}
