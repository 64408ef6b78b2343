using System.Diagnostics;
using System.Text.Json;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Executor.Extensions;
using Autopack.Executor.Loop;
using Autopack.Executor.Models;
using Autopack.Executor.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// A phase of two attempts (the first fails the target's test, the second passes it) worked by the real executor loop
/// in-process on PostgreSQL with a zero-latency model, on a small repository and on a 50,000-file one. Overhead of an
/// attempt = its wall time (attempt 1: from the claim; attempt 2: from attempt 1's end; both up to the attempt's
/// recorded end, after the commit landed for the passing one) minus the test command and the model calls. Baseline:
/// the bare git floor (<c>reset --hard</c> + <c>clean -fdx</c> + <c>apply</c> + <c>add -A</c> + <c>commit</c>) on a
/// worktree of the same repository, measured between the phases of the same run.
/// </summary>
public sealed class PhaseBenchmark : IBenchmark
{
    public string Name => "phase";
    public string Description => "per-attempt executor overhead (claim → model, model → commit, tests excluded) vs the bare git floor, small and 50,000-file repos";

    private static readonly (string Key, string Name, int Folders, int Files)[] Targets = [("small", "small", 0, 0), ("large", "50,000 files", 500, 100)];

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var table = new ResultTable("Phase attempts: executor overhead per attempt vs the git floor (median of rounds)",
            "repo", "files", "attempt", "overhead ms", "git floor ms", "ratio to floor", "test ms", "worktree add ms", "phase end → worktree gone ms", "load avg (1 min)")
        {
            Note = "Real executor loop in-process (`ExecutorLoop` with `PhaseRunner`, embedded memory on, Polly model pipeline) on " +
                "PostgreSQL, real git, real `sh test.sh`; the model answers at once (first builder answer breaks the test, the second " +
                "fixes it, the auditor approves). Attempt 1 runs from the claim (`phases.started_at`) to its recorded end; attempt 2 " +
                "from there to its recorded end, after its commit landed on the run branch. The test command (`phase.tests` " +
                "`duration_ms`) and model calls are subtracted. Floor: `git reset --hard` + `git clean -fdx` + `git apply` + " +
                "`git add -A` + `git commit` on a worktree of the same repository, one floor round after each phase (once its " +
                "worktree is gone), so both see the same load. *phase end → worktree gone*: from attempt 2's end until the " +
                "phase's worktree folder is removed, paid once per phase. *worktree add*: `git worktree add --detach` of that repository, timed once. One warm-up phase first (small repository).",
        };
        var targets = Targets.Where(t => options.Repo is null || t.Key == options.Repo).ToArray();
        if (targets.Length == 0) throw new ArgumentException($"--repo {options.Repo}: expected one of {string.Join(", ", Targets.Select(t => t.Key))}");
        foreach (var target in targets)
        {
            Console.Error.WriteLine($"   {target.Name}: generating the repository");
            using var repo = await BenchRepo.CreateAsync(target.Folders, target.Files);
            var floorTree = Path.Combine(database.StateRoot, "floor-" + target.Folders);
            var add = Stopwatch.StartNew();
            await Git.RequireAsync(repo.Path, "worktree", "add", "--detach", "-q", floorTree, "HEAD");
            var addMs = add.Elapsed.TotalMilliseconds;
            var baseCommit = await Git.RequireAsync(repo.Path, "rev-parse", "HEAD");

            var url = await database.CreateDatabaseAsync($"bench_phase_{target.Folders}");
            var model = new ZeroLatencyModel(BenchRepo.WrongDiff, BenchRepo.FixDiff);
            await using var executor = ExecutorHost(database, url, model);
            using var stop = new CancellationTokenSource();
            var loop = Task.Run(() => executor.GetRequiredService<ExecutorLoop>().RunAsync(stop.Token));

            var samples = new List<PhaseSample>();
            // One warm-up phase (JIT, EF model, first memory load) before the first target's rounds; the process stays warm.
            for (var round = target == targets[0] ? 0 : 1; round <= options.Rounds; round++)
            {
                var sample = await WorkPhaseAsync(executor, model, repo.Path, $"bench-{target.Folders}-{round}", loop);
                var floor = await BenchRepo.FloorAsync(floorTree, baseCommit);
                if (round == 0) continue;
                samples.Add(sample with { FloorMs = floor, Load = LoadAverage() });
                Console.Error.WriteLine($"   {target.Name} round {round}: attempt 1 {sample.Overhead[0]:N0} ms, attempt 2 {sample.Overhead[1]:N0} ms, floor {floor:N0} ms");
            }
            await stop.CancelAsync();
            await loop;

            var floorMs = Rounds.Median(samples.Select(s => s.FloorMs));
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var overhead = Rounds.Median(samples.Select(s => s.Overhead[attempt]));
                // Same-run ratio: each round's overhead over that round's floor, then the median.
                var ratio = Rounds.Median(samples.Select(s => s.Overhead[attempt] / s.FloorMs));
                table.Add(target.Name, repo.Files, attempt == 0 ? "1 (fails its test)" : "2 (passes, commits)", overhead, floorMs, ratio,
                    Rounds.Median(samples.Select(s => s.TestMs[attempt])), addMs, Rounds.Median(samples.Select(s => s.RemovedMs)), Rounds.Median(samples.Select(s => s.Load)));
            }
        }
        return [table];
    }

    private sealed record PhaseSample(double[] Overhead, double[] TestMs, double RemovedMs, double FloorMs = 0, double Load = 0);

    private static ServiceProvider ExecutorHost(BenchDatabase database, string url, ZeroLatencyModel model)
    {
        var connection = DatabaseConnection.Parse(url, database.StateRoot);
        var settings = new AutopackSettings
        {
            Component = "executor", IsProduction = false, StateRoot = database.StateRoot, Database = connection, Qdrant = null,
            Secrets = new Dictionary<string, string>(), Warnings = [], Bootstrap = false, Version = "bench",
        };
        var options = new ExecutorOptions
        {
            WorkerId = "bench-executor",
            WorktreeRoot = Path.Combine(database.StateRoot, "worktrees"),
            // The default poll: a shorter one only adds the loop's idle queries beside the attempt being measured (the
            // measurement starts at the claim, so the wait for it is not part of any figure).
            PollInterval = TimeSpan.FromSeconds(1),
            Lease = TimeSpan.FromSeconds(60),
            Slots = 1,
        };
        var models = new ModelOptions
        {
            Providers = new Dictionary<string, ProviderConfig> { ["bench"] = new("bench", "bench", null, null, TimeSpan.FromSeconds(30)) },
            Escalation = new Dictionary<Complexity, IReadOnlyList<EscalationStep>>
            {
                [Complexity.Low] = [EscalationStep.Parse("bench:cheap"), EscalationStep.Parse("bench:mid")],
                [Complexity.Medium] = [EscalationStep.Parse("bench:mid")],
                [Complexity.High] = [EscalationStep.Parse("bench:strong")],
            },
            Auditor = EscalationStep.Parse("bench:auditor"),
        };
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(settings);
        services.AddAutopackData(connection);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<KillSwitchReader>();
        services.AddExecutorCore(options, models, settings);
        services.AddSingleton<IChatClientFactory>(model);
        return services.BuildServiceProvider();
    }

    /// <summary>Queues a one-phase run, waits for it to complete and takes its attempts' timeline from the database.</summary>
    private static async Task<PhaseSample> WorkPhaseAsync(IServiceProvider executor, ZeroLatencyModel model, string repoPath, string runId, Task loop)
    {
        var factory = executor.GetRequiredService<IAutopackDbFactory>();
        await using (var db = factory.Create())
        {
            var run = new Run { Id = runId, Name = runId, RepoPath = repoPath };
            run.Tiers = [new Tier { RunId = runId, TierId = "T1", Index = 0, Name = "T1" }];
            run.Phases = [new Phase { RunId = runId, PhaseId = "P1", TierId = "T1", TierIndex = 0, Index = 0, Name = "Greeting",
                Description = "Make greet.sh print Hello, Autopack", ScopePaths = ["greet.sh"], TestCommand = "sh test.sh" }];
            db.Runs.Add(run);
            await db.SaveChangesAsync();
        }
        var deadline = DateTime.UtcNow.AddMinutes(10);
        Phase phase;
        while (true)
        {
            await using var db = factory.Create();
            phase = await db.Phases.AsNoTracking().SingleAsync(p => p.RunId == runId);
            if (phase.State == PhaseState.Complete) break;
            if (phase.State == PhaseState.Failed || loop.IsCompleted || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"phase {runId}/P1 ended {phase.State} ({phase.FailureReason}: {phase.StatusReason}); loop {loop.Status}");
            // Not sooner: the figures come from the database's timestamps, and each poll takes CPU from the attempt.
            await Task.Delay(100);
        }
        await using var read = factory.Create();
        var attempts = await read.PhaseAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number).ToListAsync();
        if (attempts.Count != 2 || attempts[1].Outcome != AttemptStatus.Succeeded)
            throw new InvalidOperationException($"{runId}: expected a failed then a passing attempt, got {string.Join(", ", attempts.Select(a => a.Outcome))}");
        var tests = (await read.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Type == EventTypes.PhaseTests).ToListAsync())
            .Select(e => JsonDocument.Parse(e.Payload).RootElement)
            .ToDictionary(p => p.GetProperty("attempt").GetInt32(), p => p.GetProperty("duration_ms").GetDouble());
        // The worktree is removed once the phase ended, after COMPLETE was recorded: wait for it, so the floor that
        // follows does not share the machine with that removal, and report how long it took.
        var worktree = Path.Combine(executor.GetRequiredService<ExecutorOptions>().WorktreeRoot, runId, "P1");
        while (Directory.Exists(worktree)) await Task.Delay(20);
        var removedMs = (DateTime.UtcNow - attempts[1].CompletedAt!.Value).TotalMilliseconds;
        var starts = new[] { phase.StartedAt!.Value, attempts[0].CompletedAt!.Value };
        var ends = new[] { attempts[0].CompletedAt!.Value, attempts[1].CompletedAt!.Value };
        var overhead = new double[2];
        var testMs = new double[2];
        for (var i = 0; i < 2; i++)
        {
            var modelMs = model.Calls.Where(c => c.Start >= starts[i] && c.End <= ends[i]).Sum(c => (c.End - c.Start).TotalMilliseconds);
            testMs[i] = tests[attempts[i].Number];
            overhead[i] = (ends[i] - starts[i]).TotalMilliseconds - testMs[i] - modelMs;
        }
        return new PhaseSample(overhead, testMs, removedMs);
    }

    private static double LoadAverage() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
}
