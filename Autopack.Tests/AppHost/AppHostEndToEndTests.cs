using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.AppHost.Hosting;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.AppHost;

/// <summary>
/// The whole application through the AppHost model, as Aspire's testing builder does it: real PostgreSQL, real
/// API, executor and outbox worker processes. A run created over HTTP is completed by the executor (scripted
/// model on a real git repository) and its completion is delivered to a webhook.
/// </summary>
public class AppHostEndToEndTests
{
    [Fact]
    public async Task A_run_created_through_the_api_completes_and_its_completion_reaches_the_webhook()
    {
        using var repo = TargetRepo.CreateGreeting();
        await using var models = await FakeOpenAiServer.StartAsync(new ModelScript(r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix)));
        await using var receiver = await WebhookReceiver.StartAsync();

        var app = await DistributedApplicationTestingBuilder.CreateAsync();
        app.Model.Get<ProjectResource>("executor")
            .WithEnvironment("AUTOPACK_OPENAI_COMPAT_URL", models.BaseUrl)
            .WithEnvironment("AUTOPACK_ESCALATION_LOW", "compat:cheap,compat:mid")
            .WithEnvironment("AUTOPACK_ESCALATION_MEDIUM", "compat:mid")
            .WithEnvironment("AUTOPACK_ESCALATION_HIGH", "compat:mid")
            .WithEnvironment("AUTOPACK_AUDITOR_MODEL", "compat:auditor")
            .WithEnvironment("AUTOPACK_POLL_INTERVAL_MS", "200");
        app.Model.Get<ProjectResource>("outboxworker")
            .WithEnvironment("AUTOPACK_WEBHOOK_URLS", receiver.Url)
            .WithEnvironment("AUTOPACK_OUTBOX_POLL_MS", "100");
        int[] pids;
        await using (app)
        {
            await app.StartAsync();
            await app.WaitForResourceHealthyAsync("api");
            await app.WaitForResourceHealthyAsync("executor");
            await app.WaitForResourceHealthyAsync("outboxworker");
            Assert.Contains("local PostgreSQL", app.Run.Notes["postgres"]);

            using var http = app.CreateHttpClient("api");
            http.DefaultRequestHeaders.Add("X-API-Key", app.Run.Credentials.ApiKey);
            var health = await http.GetFromJsonAsync<JsonElement>("/health");
            Assert.Equal("connected", health.GetProperty("database").GetString());

            var plan = RunPlans.Simple("e2e-1", phases: 1, repoPath: repo.Path, testCommand: "sh test.sh");
            ((Array)plan["phases"]!).SetValue(new { phase_id = "P1", tier_id = "T1", name = "Greeting", description = "Greet Autopack", complexity = "low",
                scope = new { paths = new[] { "greet.sh" }, read_only_context = new[] { "test.sh" } }, test_command = "sh test.sh" }, 0);
            var created = await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            var state = "";
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (state != "COMPLETE" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(300);
                state = (await http.GetFromJsonAsync<JsonElement>("/runs/e2e-1")).GetProperty("state").GetString()!;
                Assert.NotEqual("FAILED", state);
            }
            Assert.Equal("COMPLETE", state);
            Assert.Equal("echo \"Hello, Autopack\"", repo.Show("autopack/e2e-1", "greet.sh").Split('\n')[1]);

            deadline = DateTime.UtcNow.AddSeconds(30);
            while (!receiver.Accepted.Any(d => d.Event == "run.completed") && DateTime.UtcNow < deadline) await Task.Delay(200);
            var completion = receiver.Accepted.Single(d => d.Event == "run.completed");
            Assert.Contains("e2e-1", System.Text.Encoding.UTF8.GetString(completion.Body));

            pids = app.Run.Processes.Select(p => p.Pid).OfType<int>().Append(app.Run.PostgresPid ?? 0).Where(p => p > 0).ToArray();
            Assert.True(pids.Length >= 4);
        }
        // Disposal stops everything: no process of the run is left behind.
        foreach (var pid in pids)
        {
            var alive = false;
            try { alive = !Process.GetProcessById(pid).HasExited; } catch (ArgumentException) { }
            Assert.False(alive, $"process {pid} outlived the application");
        }
    }
}
