using System.Diagnostics;
using Autopack.Bench.Harness;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// What bubblewrap costs a test command: a trivial command (<c>true</c>) in a real git worktree, run the way the
/// executor runs it, unsandboxed (AUTOPACK_SANDBOX=off) and under the sandbox, alternating so both see the same machine.
/// </summary>
public sealed class SandboxBenchmark : IBenchmark
{
    public string Name => "sandbox";
    public string Description => "test command start-to-exit latency under bubblewrap vs unsandboxed, same run";

    private const int RunsPerRound = 20;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var root = Directory.CreateTempSubdirectory("autopack-bench-sandbox-").FullName;
        try
        {
            var repo = Path.Combine(root, "repo");
            var worktree = Path.Combine(root, "state", "worktrees", "run", "P1");
            Directory.CreateDirectory(repo);
            await File.WriteAllTextAsync(Path.Combine(repo, "test.sh"), "true\n");
            foreach (var git in new[] { "init -q -b main", "add -A", "-c user.name=b -c user.email=b@localhost commit -q -m initial", $"worktree add -q --detach {worktree}" })
                await GitAsync(repo, git);
            var sandboxed = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Required }, Path.Combine(root, "state"), NullLogger<CommandSandbox>.Instance);
            var plain = new CommandSandbox(new SandboxOptions { Mode = SandboxMode.Off }, Path.Combine(root, "state"), NullLogger<CommandSandbox>.Instance);
            var table = new ResultTable($"Sandbox overhead: `true` as the test command, {RunsPerRound} runs of each per round, median of rounds",
                "mode", "p50 ms", "p95 ms", "overhead p50 ms", "ratio (p50)")
            {
                Note = $"Each run is `TestCommandRunner` from process start to exit and output drained, as in the executor. Sandboxed: " +
                    $"bwrap with the default options, limits by {sandboxed.Limits} (a cgroup is created and removed per run when writable). " +
                    "Unsandboxed runs and sandboxed runs alternate. The overhead is per test command, not per phase.",
            };
            var rounds = await Rounds.RunAsync(options.Rounds, async _ =>
            {
                var off = new LatencyRecorder();
                var on = new LatencyRecorder();
                for (var i = 0; i < RunsPerRound; i++)
                {
                    await TimeAsync(plain, worktree, off);
                    await TimeAsync(sandboxed, worktree, on);
                }
                return (Off50: off.PercentileMs(50), Off95: off.PercentileMs(95), On50: on.PercentileMs(50), On95: on.PercentileMs(95));
            });
            var off50 = Rounds.Median(rounds.Select(r => r.Off50));
            var on50 = Rounds.Median(rounds.Select(r => r.On50));
            table.Add("unsandboxed (off)", off50, Rounds.Median(rounds.Select(r => r.Off95)), 0.0, 1.0);
            table.Add("bubblewrap", on50, Rounds.Median(rounds.Select(r => r.On95)), on50 - off50, on50 / off50);
            Console.Error.WriteLine($"   unsandboxed p50 {off50:0.#} ms, bubblewrap p50 {on50:0.#} ms");
            return [table];
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task TimeAsync(CommandSandbox sandbox, string worktree, LatencyRecorder recorder)
    {
        var t = Stopwatch.GetTimestamp();
        using var command = sandbox.Prepare("sh test.sh", worktree);
        var result = await TestCommandRunner.RunAsync(command, TimeSpan.FromSeconds(30), 4_000, CancellationToken.None);
        recorder.Record(t);
        if (!result.Passed) throw new InvalidOperationException($"the trivial test command failed: {result.Output}");
    }

    private static async Task GitAsync(string dir, string args)
    {
        var psi = new ProcessStartInfo("git", args) { WorkingDirectory = dir, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {args}: {await p.StandardError.ReadToEndAsync()}");
    }
}
