using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Faults;

/// <summary>PostgreSQL restarted in the middle of a run: /health says 503 while it is down, services reconnect, the run completes.</summary>
[Trait("Category", "Process")]
public class DatabaseRestartTests
{
    [Fact]
    public async Task Services_ride_out_a_database_restart_mid_run()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-pg-restart-").FullName;
        var server = await LocalPostgres.StartAsync(Path.Combine(dir, "data"));
        try
        {
            await server.EnsureDatabaseAsync("autopack");
            var url = server.Url("autopack");
            var connection = DatabaseConnection.Parse(url, dir);
            await using (var ctx = AutopackDataRegistration.CreateContext(connection)) await SchemaGuard.MigrateAsync(ctx);
            var db = new TestDatabase { Provider = TestDatabase.Postgres, Url = url, Connection = connection, StateRoot = dir };

            var files = Enumerable.Range(1, 8).ToDictionary(i => $"f{i}.txt", _ => "old\n");
            using var repo = TargetRepo.Create(files);
            await using var models = await FakeOpenAiServer.StartAsync(new ModelScript(r => r.Role == "auditor"
                ? ModelScript.Approve
                : new ScriptedAnswer(ModelScript.Diff($"f{r.PhaseId![1..]}.txt", "old", "new", context: null))));
            models.Latency = TimeSpan.FromMilliseconds(300); // keep the run going while the database is away

            var apiUrl = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
            await using var api = ServiceProcess.Start("Autopack.Api", new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = url, ["AUTOPACK_STATE_DIR"] = dir, ["ASPNETCORE_URLS"] = apiUrl, ["AUTOPACK_API_KEY"] = ApiFactory.AdminKey,
            });
            await using var executor = ExecutorEnvironment.Start(ExecutorEnvironment.For(db, models, "restart-x"));
            using var http = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Add("X-API-Key", ApiFactory.AdminKey);
            Assert.True(await api.WaitForOutputAsync("Now listening", TimeSpan.FromSeconds(40)), api.Output);

            var plan = RunPlans.Simple("restart", phases: 8, repoPath: repo.Path);
            plan["phases"] = Enumerable.Range(1, 8).Select(i => new
            {
                phase_id = $"P{i}", tier_id = "T1", name = $"Phase {i}", scope = new { paths = new[] { $"f{i}.txt" } }, test_command = $"grep -q new f{i}.txt",
            }).ToArray();
            (await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json)).EnsureSuccessStatusCode();
            await WaitAsync(async () => (await http.GetFromJsonAsync<JsonElement>("/runs/restart")).GetProperty("progress").GetProperty("completed").GetInt32() >= 1,
                TimeSpan.FromSeconds(60), "first phase completed");

            await server.StopAsync();
            var down = await http.GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("unreachable", (await down.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("database").GetString());
            await Task.Delay(3000);

            await server.RestartAsync();
            Npgsql.NpgsqlConnection.ClearAllPools(); // this test's own pooled connections died with the old server
            await WaitAsync(async () => (await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "health recovered");
            await WaitAsync(async () => (await http.GetFromJsonAsync<JsonElement>("/runs/restart")).GetProperty("state").GetString() == "COMPLETE",
                TimeSpan.FromSeconds(120), "run completed after the restart");

            await using var check = db.CreateContext();
            Assert.All(await check.Phases.ToListAsync(), p => Assert.Equal(PhaseState.Complete, p.State));
            var trailers = repo.Git("log", "--format=%B", "autopack/restart").Split('\n').Where(l => l.StartsWith("Autopack-Phase:")).ToList();
            Assert.Equal(8, trailers.Distinct().Count());
            Assert.Equal(8, trailers.Count);
            Assert.False(executor.HasExited, "the executor died with the database instead of reconnecting");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    // While the database is down the API answers 503 or not at all: those are "not yet", not failures.
    private static Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Eventually.UntilAsync(what, condition, timeout, tolerate: ex => ex is HttpRequestException or TaskCanceledException,
            interval: TimeSpan.FromMilliseconds(250));
}
