using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Foundation;

/// <summary>What an operator sees when a real service process starts: fail-fast messages and the logged identity.</summary>
[Trait("Category", "Process")]
public class ServiceStartupTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Production_with_nothing_configured_refuses_to_start_and_lists_every_problem()
    {
        var state = Directory.CreateTempSubdirectory("autopack-prod-").FullName;
        await using var api = ServiceProcess.Start("Autopack.Api", new Dictionary<string, string?>
        {
            ["AUTOPACK_ENV"] = "production", ["AUTOPACK_STATE_DIR"] = state, ["TELEGRAM_BOT_TOKEN"] = "1:x",
            ["AUTOPACK_API_KEY"] = "short", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}",
        });
        Assert.True(await api.WaitForExitAsync(Limit), "the API kept running in production with a broken configuration");
        Assert.NotEqual(0, api.ExitCode);
        Assert.Contains("refuses to start in production", api.Output);
        Assert.Contains("DATABASE_URL", api.Output);
        Assert.Contains("at least 32", api.Output);
        Assert.Contains("JWT_PRIVATE_KEY", api.Output);
        Assert.Contains("TELEGRAM_WEBHOOK_SECRET", api.Output);
        Assert.False(File.Exists(Path.Combine(state, "autopack.db")), "nothing may be created before the checks pass");
    }

    [Fact]
    public async Task An_unreadable_secret_file_stops_the_service_naming_the_variable()
    {
        var state = Directory.CreateTempSubdirectory("autopack-secret-").FullName;
        await using var api = ServiceProcess.Start("Autopack.Api", new Dictionary<string, string?>
        {
            ["AUTOPACK_STATE_DIR"] = state, ["AUTOPACK_API_KEY_FILE"] = Path.Combine(state, "missing-key"),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}",
        });
        Assert.True(await api.WaitForExitAsync(Limit));
        Assert.NotEqual(0, api.ExitCode);
        Assert.Contains("AUTOPACK_API_KEY_FILE", api.Output);
    }

    [Fact]
    public async Task Missing_schema_stops_the_service_with_both_fixes_named()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres, migrate: false);
        await using var api = ServiceProcess.Start("Autopack.Api", new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}",
        });
        Assert.True(await api.WaitForExitAsync(Limit));
        Assert.NotEqual(0, api.ExitCode);
        Assert.Contains("AUTOPACK_DB_BOOTSTRAP=1", api.Output);
        Assert.Contains("dotnet Autopack.Api.dll migrate", api.Output);
    }

    [Fact]
    public async Task Migrate_verb_creates_the_schema_then_the_service_starts_and_logs_its_identity_as_json()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres, migrate: false);
        var env = new Dictionary<string, string?> { ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot };
        int migrations;
        await using (var ctx = db.CreateContext()) migrations = ctx.Database.GetMigrations().Count();
        await using (var migrate = ServiceProcess.Start("Autopack.Api", env, "migrate"))
        {
            Assert.True(await migrate.WaitForExitAsync(Limit));
            Assert.Equal(0, migrate.ExitCode);
            Assert.Contains($"Applied {migrations} migration(s)", migrate.Output);
        }
        await using (var again = ServiceProcess.Start("Autopack.Api", env, "migrate"))
        {
            Assert.True(await again.WaitForExitAsync(Limit));
            Assert.Equal(0, again.ExitCode);
            Assert.Contains("up to date", again.Output);
        }

        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        await using var api = ServiceProcess.Start("Autopack.Api", env);
        Assert.True(await api.WaitForOutputAsync("database identity", Limit), api.Output);
        var line = api.Output.Split('\n').First(l => l.Contains("database identity"));
        using var json = JsonDocument.Parse(line);
        Assert.Equal(db.Connection.Identity, json.RootElement.GetProperty("State").GetProperty("DatabaseIdentity").GetString());
        Assert.DoesNotContain(db.Url.Split('@')[0].Split(':')[2], line); // the password never reaches a log
    }
}
