using System.Net;
using System.Net.Sockets;
using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Testing;
using Autopack.Tests.Infrastructure;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>
/// Model-written code that attacks the executor, run by the real loop under real bubblewrap on a real git repository:
/// the builder's patch turns greet.sh into the attack and the phase's test command (<c>sh greet.sh</c>) runs it. Each
/// attack exits 0 only when it worked, so without the sandbox the phase would pass; with it the phase fails with a
/// clear reason, and the same executor then completes an honest run.
/// </summary>
[Trait("Category", "Db")]
public class HostileCodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Writing_outside_the_worktree_fails_and_nothing_lands_on_the_host()
    {
        var name = "autopack-escape-" + Guid.NewGuid().ToString("N")[..8];
        var hostDir = Path.Combine(AppContext.BaseDirectory, name);
        var hostTmp = Path.Combine("/tmp", name);
        string? repoGit = null;
        var attempt = await RunHostileAsync(repo =>
        {
            repoGit = Path.Combine(repo, ".git", name);
            return $"echo a > {hostTmp}; echo b > {repoGit}; echo c > {hostDir}";
        });
        Assert.Equal("CI_FAILED", attempt.FailureReason);
        Assert.Contains("Read-only file system", attempt.TestOutput);
        Assert.False(File.Exists(hostDir), "wrote into the host's file system");
        Assert.False(File.Exists(hostTmp), "wrote into the host's /tmp (the sandbox's /tmp is private)");
        Assert.False(File.Exists(repoGit), "wrote into the target repository's .git");
    }

    [Fact]
    public async Task Reading_a_secret_in_the_executor_state_folder_fails()
    {
        string? secret = null;
        var attempt = await RunHostileAsync(stateRoot: state =>
        {
            secret = Path.Combine(state, "planted-secret.txt");
            File.WriteAllText(secret, "s3cret-" + Guid.NewGuid());
        }, hostile: _ => $"cat {secret} && ls -a {Path.GetDirectoryName(secret)}");
        Assert.Equal("CI_FAILED", attempt.FailureReason);
        Assert.Contains("No such file or directory", attempt.TestOutput);
        Assert.DoesNotContain("s3cret-", attempt.TestOutput);
    }

    [Fact]
    public async Task A_tcp_connection_to_a_port_the_test_listens_on_fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();
        var attempt = await RunHostileAsync(_ => $"bash -c 'echo hi > /dev/tcp/127.0.0.1/{port}'");
        Assert.Equal("CI_FAILED", attempt.FailureReason);
        Assert.Contains("Connection refused", attempt.TestOutput);
        Assert.False(accepted.IsCompleted, "the sandboxed command reached the host's loopback");
    }

    [Fact]
    public async Task Autopack_variables_and_api_keys_are_not_in_the_environment()
    {
        var marker = "planted-" + Guid.NewGuid().ToString("N")[..8];
        string[] names = ["AUTOPACK_PLANTED_" + marker[8..], "PLANTED_" + marker[8..] + "_API_KEY", "PLANTED_" + marker[8..] + "_TOKEN"];
        foreach (var n in names) Environment.SetEnvironmentVariable(n, marker);
        try
        {
            var attempt = await RunHostileAsync(_ => $"env | grep {marker}");
            Assert.Equal("CI_FAILED", attempt.FailureReason);
            Assert.Equal(1, attempt.TestExitCode); // grep found nothing
            Assert.DoesNotContain(marker, attempt.TestOutput);
        }
        finally
        {
            foreach (var n in names) Environment.SetEnvironmentVariable(n, null);
        }
    }

    [Fact]
    public async Task A_fork_bomb_hits_the_process_limit_and_is_killed_at_the_timeout_with_nothing_left()
    {
        string? stateRoot = null;
        var attempt = await RunHostileAsync(stateRoot: s => stateRoot = s, hostile: _ => "b() { b | b & }; b; exec sleep 60",
            tune: o => o with { TestTimeout = TimeSpan.FromSeconds(4), Sandbox = o.Sandbox with { MaxProcesses = 48 } });
        // Usually the shell became `sleep` and the timeout kills the namespace; on a loaded machine the command has
        // been seen to exit non-zero first (cause not pinned down). Either way the bomb was bounded and the phase failed.
        Assert.True(attempt.FailureReason is "TIMEOUT" or "CI_FAILED", $"{attempt.FailureReason}, exit {attempt.TestExitCode}");
        Assert.Contains("fork", attempt.TestOutput, StringComparison.OrdinalIgnoreCase); // forks were refused
        Assert.Empty(ProcessesWorkingUnder(stateRoot!));
    }

    [Fact]
    public async Task Printing_100_MB_is_cut_off_at_the_output_limit()
    {
        var attempt = await RunHostileAsync(_ => "yes autopack | head -c 100000000");
        Assert.Equal("CI_FAILED", attempt.FailureReason);
        Assert.Contains("output limit", attempt.TestOutput);
        Assert.True(attempt.TestOutput!.Length < 10_000, $"kept {attempt.TestOutput.Length} characters of output");
    }

    /// <summary>
    /// Runs one phase whose patch makes greet.sh the <paramref name="hostile"/> line (given the target repository's
    /// path), with one attempt; returns that attempt after checking the phase failed and an honest run still completes.
    /// </summary>
    private async Task<PhaseAttempt> RunHostileAsync(Func<string, string> hostile, Action<string>? stateRoot = null,
        Func<ExecutorOptions, ExecutorOptions>? tune = null)
    {
        string? patch = null;
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r switch
        {
            { Role: "auditor" } => ModelScript.Approve,
            { RunId: "honest" } => new ScriptedAnswer(ModelScript.GreetFix),
            _ => new ScriptedAnswer(patch!),
        }, tune: o =>
        {
            // Required: a machine without bubblewrap fails these tests instead of running the attacks for real.
            o = o with { TestTimeout = TimeSpan.FromSeconds(30), Sandbox = new SandboxOptions { Mode = SandboxMode.Required } };
            return tune?.Invoke(o) ?? o;
        });
        stateRoot?.Invoke(h.Db.StateRoot);
        patch = ModelScript.Diff("greet.sh", "echo \"Hello, World\"", hostile(h.Repo.Path));
        await h.SeedAsync("hostile", new PhaseSpec("P1", "T1", ["greet.sh"], TestCommand: "sh greet.sh", MaxAttempts: 1));
        h.Start();

        await h.WaitForRunAsync("hostile", RunState.Failed, TimeSpan.FromSeconds(60));
        var phase = Assert.Single(await h.PhasesAsync("hostile"));
        Assert.Equal((PhaseState.Failed, "MAX_ATTEMPTS"), (phase.State, phase.FailureReason));
        var attempt = Assert.Single(await h.AttemptsAsync("hostile", "P1"));
        output.WriteLine($"attempt: {attempt.FailureReason}, exit {attempt.TestExitCode}, output:\n{TestCommandRunner.Truncate(attempt.TestOutput ?? "", 1_500)}");

        // The executor is fine afterwards: the next run is worked and completes.
        await h.SeedAsync("honest", new PhaseSpec("P1", "T1", ["greet.sh"]));
        await h.WaitForRunAsync("honest", RunState.Complete, TimeSpan.FromSeconds(60));
        return attempt;
    }

    private static List<int> ProcessesWorkingUnder(string root)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget is { } cwd && cwd.StartsWith(root, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
