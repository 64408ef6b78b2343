using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Testing;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>The sandbox's modes, environment allow-list and /health field, with real bwrap and real processes.</summary>
[Trait("Category", "Process")]
public class SandboxTests(ITestOutputHelper output)
{
    [Fact]
    public void The_environment_is_an_allow_list_and_secret_names_never_pass()
    {
        var host = new System.Collections.Hashtable
        {
            ["PATH"] = "/usr/bin", ["LANG"] = "C.UTF-8", ["LC_ALL"] = "C", ["FOO"] = "1", ["UNLISTED"] = "x",
            ["AUTOPACK_API_KEY"] = "k", ["AUTOPACK_DEBUG"] = "1", ["OPENAI_API_KEY"] = "sk", ["GITHUB_TOKEN"] = "t", ["APP_SECRET"] = "s",
            ["DATABASE_URL"] = "postgresql://u:p@h/db", ["DATABASE_URL_FILE"] = "/run/secrets/db", ["ConnectionStrings__autopack"] = "Host=h",
            ["ANTHROPIC_BASE_URL"] = "https://proxy", ["HOME"] = "/root",
        };
        var env = SandboxEnvironment.Build(host, ["FOO", "AUTOPACK_DEBUG", "GITHUB_TOKEN"], home: "/tmp", tmp: "/tmp");
        Assert.Equal(["FOO", "HOME", "LANG", "LC_ALL", "PATH", "TMPDIR"], env.Keys.Order());
        Assert.Equal("/tmp", env["HOME"]);
    }

    [Fact]
    public async Task Under_bubblewrap_the_worktree_is_writable_git_works_the_state_root_is_hidden_and_the_host_is_read_only()
    {
        using var repo = TargetRepo.CreateGreeting();
        // Outside /tmp (private in the sandbox anyway), like a production state root — also when the clone itself lies
        // under /tmp, where the sandbox's private /tmp would hide the state root before its own read-only mount could.
        var state = Path.Combine("/var/tmp", "autopack-sandbox-state-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "autopack.db"), "planted-secret");
        try
        {
            var worktree = Path.Combine(state, "worktrees", "run", "P1");
            repo.Git("worktree", "add", "--detach", worktree);
            var sandbox = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Required }, state, NullLogger<CommandSandbox>.Instance);
            Assert.Equal("bubblewrap", sandbox.Status);
            using var command = sandbox.Prepare($"echo made > made.txt && git status --short && touch {state}/x; cat {state}/autopack.db; echo \"pid $$ home $HOME\"", worktree);
            var result = await TestCommandRunner.RunAsync(command, TimeSpan.FromSeconds(20), 4_000, default);
            output.WriteLine(result.Output);
            Assert.Equal("made\n", File.ReadAllText(Path.Combine(worktree, "made.txt")));
            Assert.Contains("?? made.txt", result.Output); // git reads the repository's object store read-only
            Assert.Contains("Read-only file system", result.Output); // the state root is an empty read-only tmpfs
            Assert.Contains("autopack.db: No such file or directory", result.Output);
            Assert.DoesNotContain("planted-secret", result.Output);
            Assert.False(File.Exists(Path.Combine(state, "x")));
            Assert.Contains("home /tmp", result.Output);
            Assert.Matches(@"pid \d{1,2} ", result.Output); // a fresh PID namespace
        }
        finally { Directory.Delete(state, recursive: true); }
    }

    [Fact]
    public async Task A_sandboxed_command_outlives_the_thread_that_asked_for_it()
    {
        // bwrap --die-with-parent: the kernel kills it when the *thread* that forked it exits, and thread-pool threads
        // retire after 20 s idle. Asked for from a thread that ends a second later, the command must still run to its end.
        var worktree = Directory.CreateTempSubdirectory("autopack-launcher-");
        try
        {
            var sandbox = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Required }, Path.GetTempPath(), NullLogger<CommandSandbox>.Instance);
            using var command = sandbox.Prepare("sleep 3; echo survived", worktree.FullName);
            Task<TestResult>? run = null;
            var asker = new Thread(() =>
            {
                run = TestCommandRunner.RunAsync(command, TimeSpan.FromSeconds(30), 4_000, default);
                Thread.Sleep(1_000);
            });
            asker.Start();
            asker.Join();
            var result = await run!;
            Assert.Equal((0, "survived\n"), (result.ExitCode, result.Output));
        }
        finally { worktree.Delete(recursive: true); }
    }

    [Fact]
    public async Task Auto_mode_without_bwrap_says_none_and_runs_unsandboxed_with_the_filtered_environment()
    {
        Environment.SetEnvironmentVariable("AUTOPACK_SANDBOX_TEST_SECRET", "leak");
        try
        {
            var sandbox = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Auto, BwrapPath = "/nonexistent/bwrap" }, Path.GetTempPath(), NullLogger<CommandSandbox>.Instance);
            Assert.False(sandbox.Active);
            Assert.Equal("none: /nonexistent/bwrap not found (install the bubblewrap package)", sandbox.Status);
            Assert.Null(sandbox.Refusal);
            using var command = sandbox.Prepare("echo \"[$AUTOPACK_SANDBOX_TEST_SECRET]\"", Path.GetTempPath());
            var result = await TestCommandRunner.RunAsync(command, TimeSpan.FromSeconds(20), 4_000, default);
            Assert.Equal("[]\n", result.Output);
            var off = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Off }, Path.GetTempPath(), NullLogger<CommandSandbox>.Instance);
            Assert.Equal("none: AUTOPACK_SANDBOX=off", off.Status);
        }
        finally { Environment.SetEnvironmentVariable("AUTOPACK_SANDBOX_TEST_SECRET", null); }
    }

    [Fact]
    public async Task Required_mode_without_bwrap_fails_phases_with_tests_before_any_model_call_and_still_works_the_others()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix),
            tune: o => o with { Sandbox = new SandboxOptions { Mode = SandboxMode.Required, BwrapPath = "/nonexistent/bwrap" } });
        h.ExpectedErrors = e => e.Category.EndsWith(nameof(CommandSandbox)); // the start-up error naming the reason
        await h.SeedAsync("needs-sandbox", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();
        await h.WaitForRunAsync("needs-sandbox", RunState.Failed);
        var phase = Assert.Single(await h.PhasesAsync("needs-sandbox"));
        Assert.Equal((PhaseState.Failed, "SANDBOX_UNAVAILABLE"), (phase.State, phase.FailureReason));
        Assert.Empty(h.Script.Requests); // no tokens spent on a phase whose tests may not run
        Assert.Empty(await h.AttemptsAsync("needs-sandbox", "P1"));
        var events = await h.EventsAsync("needs-sandbox", "P1");
        Assert.Contains(events, e => e.Payload.Contains("AUTOPACK_SANDBOX=required") && e.Payload.Contains("not found"));
        await PhaseEventSequence.AssertAsync(h, "needs-sandbox", "sandbox-unavailable");

        await h.SeedAsync("no-tests", new PhaseSpec("P1", "T1", ["greet.sh"], TestCommand: null));
        await h.WaitForRunAsync("no-tests", RunState.Complete);
    }

    [Fact]
    public async Task Health_of_the_executor_reports_the_sandbox_and_the_start_log_says_so()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        foreach (var (extra, expected, network) in new (Dictionary<string, string?>, string, string?)[]
        {
            (new() { ["AUTOPACK_SANDBOX"] = "auto" }, "bubblewrap", "opt-in"),
            (new() { ["AUTOPACK_SANDBOX"] = "auto", ["AUTOPACK_SANDBOX_NETWORK"] = "deny" }, "bubblewrap", "deny"),
            (new() { ["AUTOPACK_SANDBOX"] = "auto", ["AUTOPACK_SANDBOX_BWRAP"] = "/nonexistent/bwrap" }, "none: /nonexistent/bwrap not found (install the bubblewrap package)", null),
        })
        {
            var port = FreePort();
            var env = ExecutorEnvironment.For(db, null, "sandbox-health");
            env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            foreach (var (k, v) in extra) env[k] = v;
            await using var executor = ExecutorEnvironment.Start(env);
            using var http = new HttpClient();
            var health = await Eventually.UntilAsync("the executor's /health", async () => JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/health")).RootElement,
                _ => true, TimeSpan.FromSeconds(60), tolerate: ex => ex is HttpRequestException && !executor.HasExited, interval: TimeSpan.FromMilliseconds(250));
            Assert.Equal(expected, health.GetProperty("sandbox").GetString());
            Assert.Equal(network, health.TryGetProperty("sandbox_network", out var n) ? n.GetString() : null);
            // This machine has writable cgroup v1 pids and memory hierarchies; elsewhere the limits fall back to rlimits.
            if (network is not null) Assert.Matches(@"^(cgroup (pids|memory)|rlimits)", health.GetProperty("sandbox_limits").GetString());
            else Assert.False(health.TryGetProperty("sandbox_limits", out _));
            Assert.Contains("Sandbox: " + (expected == "bubblewrap" ? "bubblewrap (" : expected), executor.Output);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
