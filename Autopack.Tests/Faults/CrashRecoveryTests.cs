using System.Net.Http.Json;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Faults;

/// <summary>
/// kill -9 of the API, the executors and the outbox worker at random moments during a 100-phase run with
/// 1,000 extra outbox messages: everything still completes, no phase is committed twice, no message is lost.
/// Bounded in time; loopback only.
/// </summary>
[Trait("Category", "Process")]
public class CrashRecoveryTests
{
    private const int Phases = 100;
    private const int ExtraMessages = 1000;

    [Fact]
    public async Task Random_kill_9_of_every_service_loses_nothing_and_commits_each_phase_once()
    {
        var files = Enumerable.Range(1, Phases).ToDictionary(i => $"f{i}.txt", _ => "old\n");
        using var repo = TargetRepo.Create(files);
        static ScriptedAnswer Answer(ScriptedRequest r) => r.Role == "auditor"
            ? ModelScript.Approve
            : new ScriptedAnswer(ModelScript.Diff($"f{r.PhaseId![1..]}.txt", "old", "new", context: null));
        await using var models = await FakeOpenAiServer.StartAsync(new ModelScript(Answer));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);

        // 1,000 messages already waiting, as if written by earlier runs.
        await using (var ctx = db.CreateContext())
        {
            ctx.Runs.Add(new Run { Id = "older" });
            for (var i = 0; i < ExtraMessages; i++) OutboxWriter.Enqueue(ctx, "run.state", OutboxWriter.Webhook, new { run_id = "older", n = i }, "older");
            await ctx.SaveChangesAsync();
        }

        var apiUrl = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        Dictionary<string, string?> ApiEnv() => new()
        {
            ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot, ["ASPNETCORE_URLS"] = apiUrl, ["AUTOPACK_API_KEY"] = ApiFactory.AdminKey,
        };
        Dictionary<string, string?> OutboxEnv() => new()
        {
            ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot, ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}",
            ["AUTOPACK_WEBHOOK_URLS"] = receiver.Url, ["AUTOPACK_OUTBOX_LEASE_SECONDS"] = "2", ["AUTOPACK_OUTBOX_POLL_MS"] = "100",
            ["AUTOPACK_OUTBOX_BATCH_SIZE"] = "25", ["AUTOPACK_OUTBOX_BACKOFF_BASE_MS"] = "200",
        };
        Dictionary<string, string?> ExecutorEnv(string name)
        {
            var env = ExecutorEnvironment.For(db, models, name);
            env["AUTOPACK_LEASE_SECONDS"] = "3";
            env["AUTOPACK_MAX_PARALLEL_PHASES"] = "4";
            return env;
        }

        var api = ServiceProcess.Start("Autopack.Api", ApiEnv());
        var outbox = ServiceProcess.Start("Autopack.OutboxWorker", OutboxEnv());
        var executors = new[] { ExecutorEnvironment.Start(ExecutorEnv("x1")), ExecutorEnvironment.Start(ExecutorEnv("x2")) };
        using var http = new HttpClient { BaseAddress = new Uri(apiUrl) };
        http.DefaultRequestHeaders.Add("X-API-Key", ApiFactory.AdminKey);
        try
        {
            Assert.True(await api.WaitForOutputAsync("Now listening", TimeSpan.FromSeconds(40)), api.Output);
            var plan = RunPlans.Simple("chaos", phases: Phases, repoPath: repo.Path, testCommand: "true");
            plan["phases"] = Enumerable.Range(1, Phases).Select(i => new
            {
                phase_id = $"P{i}", tier_id = "T1", name = $"Phase {i}", description = $"Change f{i}.txt", complexity = "low",
                scope = new { paths = new[] { $"f{i}.txt" } }, test_command = $"grep -q new f{i}.txt",
            }).ToArray();
            (await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json)).EnsureSuccessStatusCode();

            // Up to twelve kills at random moments, then the system must finish on its own. The first round kills each
            // service once, quickly, so every one of them dies mid-run however fast the machine finishes the run.
            var random = new Random(20261124);
            var plannedKills = new[] { "api", "outbox", "executor" }.OrderBy(_ => random.Next())
                .Concat(new[] { "executor", "api", "outbox", "executor", "outbox", "api", "executor", "outbox", "executor" }.OrderBy(_ => random.Next()))
                .ToList();
            var kills = new List<string>();
            foreach (var victim in plannedKills)
            {
                if (await DoneAsync(db)) break;
                await Task.Delay(kills.Count < 3 ? random.Next(1000, 2500) : random.Next(2000, 6000));
                kills.Add(victim);
                switch (victim)
                {
                    case "api":
                        api.Kill(); await api.DisposeAsync();
                        api = ServiceProcess.Start("Autopack.Api", ApiEnv());
                        break;
                    case "outbox":
                        outbox.Kill(); await outbox.DisposeAsync();
                        outbox = ServiceProcess.Start("Autopack.OutboxWorker", OutboxEnv());
                        break;
                    default:
                        var i = random.Next(executors.Length);
                        executors[i].Kill(entireProcessTree: false); await executors[i].DisposeAsync();
                        executors[i] = ExecutorEnvironment.Start(ExecutorEnv($"x{i + 1}-{kills.Count}"));
                        break;
                }
            }
            try { await Eventually.UntilAsync("the chaos run done", () => DoneAsync(db), TimeSpan.FromMinutes(6), interval: TimeSpan.FromMilliseconds(500)); }
            catch (EventuallyException ex)
            {
                Assert.Fail($"{ex.Message} after kills: {string.Join(",", kills)}\n{await DescribeAsync(db)}\n" +
                    string.Join("\n", executors.SelectMany(e => e.Output.Split('\n').TakeLast(30))));
            }
            Assert.Contains("executor", kills);
            Assert.Contains("api", kills);
            Assert.Contains("outbox", kills);

            await using var check = db.CreateContext();
            Assert.Equal(RunState.Complete, (await check.Runs.SingleAsync(r => r.Id == "chaos")).State);
            var commits = repo.Git("log", "--format=%B", "autopack/chaos").Split('\n').Where(l => l.StartsWith("Autopack-Phase:")).ToList();
            Assert.Equal(Phases, commits.Count);
            Assert.Equal(Phases, commits.Distinct().Count());
            var delivered = await check.OutboxMessages.Where(m => m.Status == OutboxStatus.Delivered).Select(m => m.Id.ToString()).ToListAsync();
            var received = receiver.Accepted.Select(d => d.Key).ToHashSet();
            Assert.All(delivered, id => Assert.Contains(id, received));
            Assert.Equal(0, await check.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Dead));
        }
        finally
        {
            await api.DisposeAsync();
            await outbox.DisposeAsync();
            foreach (var e in executors) await e.DisposeAsync();
        }
    }

    /// <summary>Where the run stands, for a failure message: run state, phases and outbox rows by state.</summary>
    private static async Task<string> DescribeAsync(TestDatabase db)
    {
        await using var ctx = db.CreateContext();
        var run = await ctx.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == "chaos");
        var phases = await ctx.Phases.AsNoTracking().Where(p => p.RunId == "chaos" && p.State != PhaseState.Complete)
            .Select(p => new { p.PhaseId, p.State, p.Attempts, p.FailureReason, p.StatusReason, p.ClaimedBy, p.LeaseExpiresAt }).ToListAsync();
        var outbox = (await ctx.OutboxMessages.AsNoTracking().Select(m => new { m.Destination, m.Status }).ToListAsync())
            .GroupBy(m => $"{m.Destination}:{m.Status}").Select(g => $"{g.Key}={g.Count()}");
        return $"run {run?.State} ({run?.FailureReason}); unfinished phases: " +
            string.Join("; ", phases.Select(p => $"{p.PhaseId} {p.State} attempts={p.Attempts} {p.FailureReason} {p.StatusReason} by={p.ClaimedBy} lease={p.LeaseExpiresAt:O}")) +
            $"; outbox: {string.Join(", ", outbox)}";
    }

    /// <summary>The run is complete and every outbox message (webhook) has been delivered.</summary>
    private static async Task<bool> DoneAsync(TestDatabase db)
    {
        await using var ctx = db.CreateContext();
        var run = await ctx.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == "chaos");
        if (run?.State != RunState.Complete) return false;
        return !await ctx.OutboxMessages.AnyAsync(m => m.Destination == OutboxWriter.Webhook && m.Status != OutboxStatus.Delivered);
    }
}
