using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.AppHost;

/// <summary>
/// The whole application through the real AppHost and Aspire's testing builder: real PostgreSQL (Debian's binaries
/// as an Aspire executable), real API, executor and outbox worker processes run by DCP.
/// </summary>
[Trait("Category", "Process")]
public class AppHostEndToEndTests(AutopackAppFixture fixture) : IClassFixture<AutopackAppFixture>
{
    private HttpClient Api()
    {
        var http = fixture.App.CreateHttpClient("api");
        http.DefaultRequestHeaders.Add("X-API-Key", fixture.Credentials.ApiKey);
        return http;
    }

    [Fact]
    public async Task Every_resource_runs_and_the_api_uses_the_local_postgres_the_apphost_started()
    {
        foreach (var resource in new[] { "postgres", "autopack", "api", "executor", "outboxworker", "web" })
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromMinutes(2));
        await fixture.App.ResourceNotifications.WaitForResourceAsync("migrations", KnownResourceStates.Finished).WaitAsync(TimeSpan.FromMinutes(1));

        using var http = Api();
        var health = await http.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("connected", health.GetProperty("database").GetString());
        Assert.Equal("embedded", health.GetProperty("qdrant").GetString());
        // The API's database is the one in the state folder: same identity as its connection string, stable port kept there.
        var connection = await fixture.App.GetConnectionStringAsync("autopack");
        Assert.Contains($"Port={File.ReadAllText(Path.Combine(fixture.StateDir, "postgres", "port")).Trim()}", connection);
        Assert.Equal(Core.Configuration.DatabaseConnection.Resolve(connection, null, fixture.StateDir).Identity, health.GetProperty("database_identity").GetString());

        // The dashboard's dev server answers and proxies the API (same routes as the front door).
        using var web = fixture.App.CreateHttpClient("web");
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/")).StatusCode);
        Assert.Equal("connected", (await web.GetFromJsonAsync<JsonElement>("/health")).GetProperty("database").GetString());
    }

    [Fact]
    public async Task A_run_created_through_the_api_completes_and_its_completion_reaches_the_webhook()
    {
        using var repo = TargetRepo.CreateGreeting();
        using var http = Api();
        var plan = RunPlans.Simple("e2e-1", phases: 1, repoPath: repo.Path, testCommand: "sh test.sh");
        ((Array)plan["phases"]!).SetValue(new { phase_id = "P1", tier_id = "T1", name = "Greeting", description = "Greet Autopack", complexity = "low",
            scope = new { paths = new[] { "greet.sh" }, read_only_context = new[] { "test.sh" } }, test_command = "sh test.sh" }, 0);
        var created = await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await Eventually.UntilAsync("run e2e-1 COMPLETE", async () => (await http.GetFromJsonAsync<JsonElement>("/runs/e2e-1")).GetProperty("state").GetString(),
            state => state == "COMPLETE", TimeSpan.FromSeconds(120), giveUp: state => state == "FAILED", interval: TimeSpan.FromMilliseconds(300));
        Assert.Equal("echo \"Hello, Autopack\"", repo.Show("autopack/e2e-1", "greet.sh").Split('\n')[1]);

        await Eventually.UntilAsync("run.completed at the webhook", () => fixture.Webhook.Accepted.Any(d => d.Event == "run.completed"), TimeSpan.FromSeconds(60),
            () => "accepted: " + string.Join(", ", fixture.Webhook.Accepted.Select(d => d.Event)));
        var completion = Assert.Single(fixture.Webhook.Accepted, d => d.Event == "run.completed");
        Assert.Contains("e2e-1", System.Text.Encoding.UTF8.GetString(completion.Body));
    }
}

/// <summary>Disposing the application stops DCP, PostgreSQL and every service: nothing of the run is left behind.</summary>
[Trait("Category", "Process")]
public class AppHostDisposalTests
{
    [Fact]
    public async Task Disposing_the_app_leaves_no_process_behind()
    {
        var stateDir = Directory.CreateTempSubdirectory("autopack-apphost-").FullName;
        int[] pids;
        List<int> dcp;
        await using (var app = await AutopackAppFixture.StartAsync(stateDir))
        {
            var services = new[] { "postgres", "api", "executor", "outboxworker" }.Select(name => Pid(app, name)).ToList();
            // DCP's processes watch this test process (--monitor <pid>); they are the orchestrator of this app.
            dcp = ProcessesWhoseCommandLine(c => c.Contains("/dcp") && c.Contains($"--monitor {Environment.ProcessId}"));
            Assert.NotEmpty(dcp);
            pids = [.. services, .. dcp];
            Assert.All(pids, pid => Assert.True(IsAlive(pid), $"process {pid} is not running"));
        }
        // Every process of the app is gone. DCP itself too — unless Aspire's programmatic stop of it ran past its fixed
        // 10 s dispose timeout (DcpExecutor.DisposeAsync; seen at load average ~50): then, by Aspire's design, DCP ends
        // when the process it monitors ends, and that is this test process (it was selected by `--monitor <our pid>`).
        var own = pids.Except(dcp).ToArray();
        await Eventually.UntilAsync("every process of the app gone", () => !own.Any(IsAlive), TimeSpan.FromSeconds(30),
            () => "outlived the application: " + string.Join("; ", own.Where(IsAlive).Select(pid => $"{pid} ({CommandLine(pid)})")));
        try { await Eventually.UntilAsync("DCP gone", () => !dcp.Any(IsAlive), TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { } // asserted just below: only a DCP that still monitors this process may linger
        Assert.All(dcp.Where(IsAlive), pid => Assert.True(CommandLine(pid).Contains($"--monitor {Environment.ProcessId}"),
            $"process {pid} ({CommandLine(pid)}) outlived the application"));
        Assert.Empty(ProcessesWhoseCommandLine(c => c.Contains(stateDir)));
        Directory.Delete(stateDir, recursive: true);
    }

    private static int Pid(DistributedApplication app, string resource)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState(resource, out var state), $"{resource} has no state");
        var pid = state!.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        return Convert.ToInt32(pid ?? throw new InvalidOperationException($"{resource} reports no pid"));
    }

    private static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); } catch (IOException) { return ""; }
    }

    private static List<int> ProcessesWhoseCommandLine(Func<string, bool> match) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid => match(CommandLine(pid))).ToList();
}
