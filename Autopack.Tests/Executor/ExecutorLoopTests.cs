using System.Text.Json;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Executor.Models;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>The real loop on a real git repo and real PostgreSQL with a real shell test; only the model is scripted.</summary>
[Trait("Category", "Db")]
public class ExecutorLoopTests(ITestOutputHelper output)
{
    private const string NotesFix = "```diff\n--- a/notes/todo.txt\n+++ b/notes/todo.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n```\n";

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Success_first_try_lands_one_commit_per_phase_and_parallel_phases_run_together(string provider)
    {
        var bothBuilding = new TaskCompletionSource();
        var builders = 0;
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r =>
        {
            if (r.Role == "auditor") return ModelScript.Approve;
            // Each builder call waits until the other phase's builder is also running: proves the two ran in parallel.
            if (Interlocked.Increment(ref builders) == 2) bothBuilding.TrySetResult();
            bothBuilding.Task.Wait(TimeSpan.FromSeconds(10));
            return new ScriptedAnswer(r.PhaseId == "P1" ? ModelScript.GreetFix : NotesFix, PromptTokens: 1000, CompletionTokens: 200);
        }, provider: provider);
        await h.SeedAsync("run-ok",
            new PhaseSpec("P1", "T1", ["greet.sh"], Description: "Greet Autopack"),
            new PhaseSpec("P2", "T1", ["notes/todo.txt"], TestCommand: "grep -q TWO notes/todo.txt"));
        h.Start();

        var run = await h.WaitForRunAsync("run-ok", RunState.Complete);
        Assert.True(bothBuilding.Task.IsCompleted, "the two independent phases did not run in parallel");
        Assert.Equal("autopack/run-ok", run.Branch);
        var log = h.Repo.Log("autopack/run-ok");
        Assert.Equal(2, log.Count);
        Assert.Contains("P1: P1", log);
        Assert.Contains("P2: P2", log);
        Assert.Contains("Hello, Autopack", h.Repo.Show("autopack/run-ok", "greet.sh"));
        Assert.Contains("TWO", h.Repo.Show("autopack/run-ok", "notes/todo.txt"));
        Assert.Contains("Hello, World", File.ReadAllText(Path.Combine(h.Repo.Path, "greet.sh"))); // user's checkout untouched
        Assert.Equal("main", h.Repo.Git("rev-parse", "--abbrev-ref", "HEAD"));

        var phases = await h.PhasesAsync("run-ok");
        Assert.All(phases, p => Assert.Equal((PhaseState.Complete, 1), (p.State, p.Attempts)));
        Assert.Contains(phases[0].CommitSha!, h.Repo.Git("log", "autopack/run-ok", "--format=%H"));
        Assert.Contains($"Autopack-Phase: run-ok/P1", h.Repo.Git("log", "-1", "--format=%B", phases[0].CommitSha!));

        await using var ctx = h.Context();
        var usage = await ctx.LlmUsageEvents.AsNoTracking().Where(u => u.RunId == "run-ok").ToListAsync();
        Assert.Equal(4, usage.Count); // builder + auditor per phase
        Assert.Equal(2, usage.Count(u => u.Role == "auditor" && u.Model == "auditor"));
        Assert.All(usage, u => Assert.Equal("scripted", u.Provider));
        Assert.Equal(usage.Sum(u => u.PromptTokens + u.CompletionTokens), run.TokensUsed);
        var types = await ctx.RunEvents.Where(e => e.RunId == "run-ok").OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
        Assert.Equal(["run.created", "run.state"], types[..2]); // created as POST /runs does (RunSeeder), then started
        Assert.Equal("run.state", types[^1]);
        Assert.Contains("usage", types);
        Assert.Contains("phase.attempt", types);
        Assert.True(await ctx.OutboxMessages.AnyAsync(m => m.Type == "run.completed" && m.Destination == "telegram"));
        var attempt = Assert.Single(await h.AttemptsAsync("run-ok", "P1"));
        Assert.Equal(("SUCCEEDED", "scripted:cheap", "APPROVE"), (attempt.Outcome, attempt.Model, attempt.AuditorVerdict));
        Assert.Equal(0, attempt.TestExitCode);
        Assert.Contains("+echo \"Hello, Autopack\"", attempt.Diff);
        await PhaseEventSequence.AssertAsync(h, "run-ok", "success-first-try");
    }

    [Fact]
    public async Task Failures_are_fed_back_and_the_model_climbs_the_escalation_chain_until_the_fix()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r switch
        {
            { Role: "auditor" } => ModelScript.Approve,
            { Model: "cheap" } => new ScriptedAnswer("I would change greet.sh to say hello."),       // no diff → PATCH_FAILED
            { Model: "mid" } => new ScriptedAnswer(ModelScript.Diff("greet.sh", "echo \"Hello, World\"", "echo \"Hello, Autopac\"")), // wrong → CI_FAILED
            { Model: "strong", MaxOutputTokens: 4096 } => new ScriptedAnswer("```diff\n--- a/greet.sh\n+++ b/gr", FinishReason: "length"), // cut off
            _ => new ScriptedAnswer(ModelScript.GreetFix),
        });
        await h.SeedAsync("run-retry", new PhaseSpec("P1", "T1", ["greet.sh"], Description: "Greet Autopack"));
        h.Start();
        await h.WaitForRunAsync("run-retry", RunState.Complete);

        var attempts = await h.AttemptsAsync("run-retry", "P1");
        Assert.Equal(["FAILED", "FAILED", "SUCCEEDED"], attempts.Select(a => a.Outcome));
        Assert.Equal(["PATCH_FAILED", "CI_FAILED", null], attempts.Select(a => a.FailureReason));
        Assert.Equal(["scripted:cheap", "scripted:mid", "scripted:strong"], attempts.Select(a => a.Model));
        Assert.Contains("expected 'Hello, Autopack', got 'Hello, Autopac'", attempts[1].TestOutput);
        Assert.Equal(1, attempts[1].TestExitCode);
        // Each test run is in the live stream with its exit code, duration and the end of its output.
        var tests = (await h.EventsAsync("run-retry", "P1")).Where(e => e.Type == "phase.tests").Select(e => JsonDocument.Parse(e.Payload).RootElement).ToList();
        Assert.Equal(2, tests.Count);
        Assert.Equal((2, false, 1), (tests[0].GetProperty("attempt").GetInt32(), tests[0].GetProperty("passed").GetBoolean(), tests[0].GetProperty("exit_code").GetInt32()));
        Assert.Contains("expected 'Hello, Autopack', got 'Hello, Autopac'", tests[0].GetProperty("output_tail").GetString());
        Assert.True(tests[0].GetProperty("duration_ms").GetInt64() >= 0);
        Assert.Equal((3, true, "ok"), (tests[1].GetProperty("attempt").GetInt32(), tests[1].GetProperty("passed").GetBoolean(), tests[1].GetProperty("output_tail").GetString()));

        var builder = h.Script.For("builder");
        Assert.Contains("No ```diff fenced block", builder[1].Prompt);            // parser message fed back
        Assert.Contains("expected 'Hello, Autopack', got 'Hello, Autopac'", builder[2].Prompt); // test output fed back
        // The truncated answer was asked again with a 1.25× larger output budget.
        Assert.Equal([4096, 5120], builder.Where(b => b.Model == "strong").Select(b => b.MaxOutputTokens));
        Assert.Single(h.Repo.Log("autopack/run-retry"));
        var phase = Assert.Single(await h.PhasesAsync("run-retry"));
        Assert.Equal((PhaseState.Complete, 3), (phase.State, phase.Attempts));
        await PhaseEventSequence.AssertAsync(h, "run-retry", "retry-then-pass");
    }

    [Fact]
    public async Task A_phase_that_never_passes_fails_with_MAX_ATTEMPTS_and_fails_the_run_leaving_later_phases_queued()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor"
            ? new ScriptedAnswer("VERDICT: REJECT\nThe greeting is wrong.")
            : new ScriptedAnswer(ModelScript.GreetFix));
        await h.SeedAsync("run-fail", new PhaseSpec("P1", "T1", ["greet.sh"], MaxAttempts: 2), new PhaseSpec("P2", "T2", ["notes/todo.txt"]));
        h.Start();
        var run = await h.WaitForRunAsync("run-fail", RunState.Failed);
        Assert.Contains("P1", run.FailureReason);
        var phases = await h.PhasesAsync("run-fail");
        Assert.Equal((PhaseState.Failed, "MAX_ATTEMPTS", 2), (phases[0].State, phases[0].FailureReason, phases[0].Attempts));
        Assert.Equal(PhaseState.Queued, phases[1].State);
        Assert.Contains("run failed", phases[1].StatusReason);
        Assert.All(await h.AttemptsAsync("run-fail", "P1"), a => Assert.Equal(("AUDITOR_REJECTED", "REJECT"), (a.FailureReason, a.AuditorVerdict)));
        Assert.Contains("The greeting is wrong.", h.Script.For("builder")[1].Prompt);
        Assert.Empty(h.Repo.Log("autopack/run-fail"));
        await using (var ctx = h.Context())
            Assert.True(await ctx.OutboxMessages.AnyAsync(m => m.Type == "run.failed"));
        // Housekeeping: the run ended without a commit, so its branch and worktree folder are gone (the branch goes first).
        await h.WaitForAsync(async _ =>
        {
            await Task.Yield();
            return !h.Repo.HasBranch("autopack/run-fail") && !Directory.Exists(Path.Combine(h.Options.WorktreeRoot, "run-fail"));
        }, what: "empty run branch and its worktree folder removed");

        // The operator's retry, through the API's own RunControl: a fresh round whose attempt numbers continue after the old ones.
        var events = (await h.EventsAsync("run-fail", "P1")).Count(e => e.Type != "usage");
        var retried = await new RunControl(h.Services.GetRequiredService<IAutopackDbFactory>(), TimeProvider.System).RetryPhaseAsync("run-fail", "P1", default);
        Assert.Equal(new ControlResult.Done(), retried);
        var again = await h.WaitForRunAsync("run-fail", RunState.Failed);
        var p1 = (await h.PhasesAsync("run-fail"))[0];
        Assert.Equal((PhaseState.Failed, "MAX_ATTEMPTS", 2), (p1.State, p1.FailureReason, p1.Attempts));
        var attempts = await h.AttemptsAsync("run-fail", "P1");
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.Number));
        Assert.All(attempts, a => Assert.Equal("FAILED", a.Outcome));
        Assert.Equal(4, h.Script.For("builder").Count);
        // Two attempts' worth of events, not a hot loop: QUEUED, claimed, 2 × (attempt start, tests, GATE, attempt end), back to EXECUTING, FAILED.
        Assert.Equal(12, (await h.EventsAsync("run-fail", "P1")).Count(e => e.Type != "usage") - events);
        await PhaseEventSequence.AssertAsync(h, "run-fail", "max-attempts-then-operator-retry");
    }

    [Fact]
    public async Task A_run_past_its_duration_fails_its_phase_with_TIMEOUT()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: _ => throw new InvalidOperationException("no model call past the run's duration"));
        await h.SeedAsync("run-late", new PhaseSpec("P1", "T1", ["greet.sh"]));
        await using (var ctx = h.Context())
            await ctx.Runs.ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Running)
                .SetProperty(r => r.StartedAt, DateTime.UtcNow.AddMinutes(-5)).SetProperty(r => r.MaxDurationMinutes, 1));
        h.Start();
        var run = await h.WaitForRunAsync("run-late", RunState.Failed);
        Assert.Contains("TIMEOUT", run.FailureReason);
        Assert.Equal("TIMEOUT", (await h.PhasesAsync("run-late"))[0].FailureReason);
        Assert.Empty(h.Script.Requests);
        await PhaseEventSequence.AssertAsync(h, "run-late", "run-duration-timeout");
    }

    [Fact]
    public async Task Without_a_model_provider_phases_stay_queued_with_the_reason_visible()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: _ => throw new InvalidOperationException("no model should be called"),
            models: ExecutorHarness.ScriptedModels(configured: false));
        await h.SeedAsync("run-nomodel", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();
        var phase = await h.WaitForAsync(async ctx => await ctx.Phases.AsNoTracking().SingleOrDefaultAsync(p => p.StatusReason != null));
        Assert.Equal(PhaseState.Queued, phase.State);
        Assert.Equal(ModelOptions.NoProviderReason, phase.StatusReason);
        Assert.Empty(h.Script.Requests);
    }
}
