using System.Diagnostics;
using Autopack.Core.Configuration;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Web;

/// <summary>
/// The dashboard in headless Chromium against the real API (and a real executor with a scripted model) behind
/// the real nginx front door: sign in, create a run, watch it complete live, approve, toggle a kill switch.
/// Screenshots of every page land in TestResults/screenshots.
/// </summary>
[Trait("Category", "Browser")]
public class BrowserTests
{
    [Fact]
    public async Task An_operator_works_the_dashboard_end_to_end()
    {
        var repoRoot = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
        var web = Path.Combine(repoRoot, "Autopack.Web");
        if (!File.Exists(Path.Combine(web, "dist", "index.html"))) await RunAsync("npm", ["run", "build"], web, new Dictionary<string, string>());

        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        using var repo = TargetRepo.CreateGreeting();
        await using var models = await FakeOpenAiServer.StartAsync(new ModelScript(r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix)));
        var apiUrl = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        await using var api = ServiceProcess.Start("Autopack.Api", new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot, ["ASPNETCORE_URLS"] = apiUrl,
            ["AUTOPACK_API_KEY"] = ApiFactory.AdminKey, ["AUTOPACK_ADMIN_USER"] = ApiFactory.AdminUser, ["AUTOPACK_ADMIN_PASSWORD"] = ApiFactory.AdminPassword,
            ["AUTOPACK_TRUSTED_PROXIES"] = "127.0.0.1", ["AUTOPACK_SSE_POLL_MS"] = "100",
        });
        Assert.True(await api.WaitForOutputAsync("Now listening", TimeSpan.FromSeconds(40)), api.Output);
        var executorEnv = ExecutorEnvironment.For(db, models, "browser-executor");
        await using var executor = ExecutorEnvironment.Start(executorEnv);
        await using var door = await FrontDoor.StartAsync(apiUrl, Path.Combine(web, "dist"));

        var shots = Path.Combine(repoRoot, "TestResults", "screenshots");
        var (code, output) = await RunAsync("node", ["--test", "e2e/run-e2e.mjs"], web, new Dictionary<string, string>
        {
            ["E2E_BASE_URL"] = door.Url, ["E2E_API_KEY"] = ApiFactory.AdminKey, ["E2E_USER"] = ApiFactory.AdminUser,
            ["E2E_PASSWORD"] = ApiFactory.AdminPassword, ["E2E_REPO"] = repo.Path, ["E2E_SCREENSHOTS"] = shots,
        });
        Assert.True(code == 0, output + "\n--- api ---\n" + api.Output[^Math.Min(4000, api.Output.Length)..] + "\n--- executor ---\n" + string.Join('\n', executor.Output.TakeLast(40)));
        foreach (var page in new[] { "01-sign-in", "02-runs-empty", "03-create-run-errors", "04-run-complete", "05-runs", "06-approvals-phone", "07-kill-switches", "08-outbox", "09-system" })
            Assert.True(new FileInfo(Path.Combine(shots, page + ".png")).Length > 1000, page);
    }

    private static async Task<(int, string)> RunAsync(string file, string[] args, string dir, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = await Task.WhenAll(p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, output[0] + output[1]);
    }
}
