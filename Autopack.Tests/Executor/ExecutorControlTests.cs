using System.Diagnostics;
using Autopack.Core.Approvals;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>Approvals, budgets, kill switches, cancellation, shutdown and crash recovery of the real loop.</summary>
[Trait("Category", "Db")]
public class ExecutorControlTests(ITestOutputHelper output)
{
    /// <summary>greet.sh (in scope) plus README.md (out of scope).</summary>
    private static readonly string OutOfScopeDiff = ModelScript.GreetFix.Replace("```\n", "") .Replace("```diff\n", "```diff\n")
        .TrimEnd() + "\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# target\n+# target (greets Autopack)\n```\n";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_patch_outside_the_scope_waits_for_approval_then_applies_or_fails_closed(bool approve)
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(OutOfScopeDiff));
        await h.SeedAsync("run-apr", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();

        var approval = await h.WaitForAsync(async ctx => await ctx.Approvals.AsNoTracking().SingleOrDefaultAsync(a => a.RunId == "run-apr"));
        Assert.Equal((ApprovalKind.ScopeViolation, ApprovalStatus.Pending, "P1"), (approval.Kind, approval.Status, approval.PhaseId));
        Assert.Contains("README.md", approval.Reason);
        Assert.Contains("+# target (greets Autopack)", approval.Diff);
        await using (var ctx = h.Context())
        {
            Assert.True(await ctx.OutboxMessages.AnyAsync(m => m.Type == "approval.requested" && m.Destination == "telegram"));
            var phase = await ctx.Phases.AsNoTracking().SingleAsync();
            Assert.Equal(PhaseState.Executing, phase.State);
            Assert.Contains(approval.Id, phase.StatusReason);
        }
        await Task.Delay(500);
        Assert.Empty(h.Repo.Log("autopack/run-apr")); // nothing applied while waiting
        Assert.Empty(h.Script.For("auditor"));

        await using (var ctx = h.Context())
            await ApprovalWorkflow.DecideAsync(ctx, approval.Id, approve, "alice", "dashboard");

        if (approve)
        {
            await h.WaitForRunAsync("run-apr", RunState.Complete);
            Assert.Contains("greets Autopack", h.Repo.Show("autopack/run-apr", "README.md"));
            Assert.Single(h.Repo.Log("autopack/run-apr"));
        }
        else
        {
            await h.WaitForRunAsync("run-apr", RunState.Failed);
            var phase = Assert.Single(await h.PhasesAsync("run-apr"));
            Assert.Equal((PhaseState.Failed, "APPROVAL_REJECTED", 1), (phase.State, phase.FailureReason, phase.Attempts));
            Assert.Empty(h.Repo.Log("autopack/run-apr"));
            Assert.Single(h.Script.For("builder")); // fail closed: no retry around a human's "no"
        }
        await PhaseEventSequence.AssertAsync(h, "run-apr", approve ? "scope-approval-approved" : "scope-approval-rejected");
    }

    [Fact]
    public async Task An_expired_approval_fails_the_phase_even_before_the_sweeper_runs()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(OutOfScopeDiff),
            tune: o => o with { ApprovalTtl = TimeSpan.FromSeconds(1) });
        await h.SeedAsync("run-exp", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();
        await h.WaitForRunAsync("run-exp", RunState.Failed);
        Assert.Equal("APPROVAL_REJECTED", (await h.PhasesAsync("run-exp"))[0].FailureReason);
        await PhaseEventSequence.AssertAsync(h, "run-exp", "approval-expired");
    }

    [Fact]
    public async Task Reaching_95_percent_of_the_token_cap_pauses_the_run_until_an_operator_raises_it()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor"
            ? ModelScript.Approve
            : new ScriptedAnswer(ModelScript.GreetFix, PromptTokens: 9_000, CompletionTokens: 600));
        await h.SeedAsync("run-budget", tokenCap: 10_000, new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();

        var paused = await h.WaitForRunAsync("run-budget", RunState.Paused);
        Assert.Contains("9600 of 10000", paused.PauseReason);
        await Task.Delay(700);
        Assert.Empty(h.Script.For("auditor")); // no model call past the cap
        var phase = (await h.PhasesAsync("run-budget"))[0];
        Assert.Equal(PhaseState.Gate, phase.State); // tests passed; waiting before the auditor call, not dead
        Assert.Contains("run paused", phase.StatusReason);
        await using (var ctx = h.Context())
            Assert.True(await ctx.OutboxMessages.AnyAsync(m => m.Type == "run.paused"));

        // What POST /runs/{id}/resume {token_cap} does: raise the cap and queue the run again.
        await using (var ctx = h.Context())
        {
            await using var tx = await ctx.Database.BeginTransactionAsync();
            var run = await ctx.Runs.SingleAsync(r => r.Id == "run-budget");
            run.TokenCap = 50_000;
            await StateChanges.MoveRunAsync(ctx, run, RunState.Queued, DateTime.UtcNow, "resumed");
            await ctx.SaveChangesAsync();
            await tx.CommitAsync();
        }
        await h.WaitForRunAsync("run-budget", RunState.Complete);
        Assert.Single(h.Script.For("auditor"));
        Assert.Single(h.Repo.Log("autopack/run-budget"));
        Assert.Null((await h.PhasesAsync("run-budget"))[0].StatusReason);
        await PhaseEventSequence.AssertAsync(h, "run-budget", "token-cap-pause-resume");
    }

    [Fact]
    public async Task A_kill_switch_engaged_mid_run_stops_model_calls_and_applies_until_it_is_released()
    {
        ExecutorHarness? harness = null;
        var engaged = 0;
        await using var h = harness = await ExecutorHarness.CreateAsync(output: output, answer: r =>
        {
            if (r.Role == "auditor" && r.PhaseId == "P1" && Interlocked.Exchange(ref engaged, 1) == 0)
                harness!.SetKillSwitchAsync(KillSwitchNames.DisableAutonomous, true).GetAwaiter().GetResult();
            return r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(r.PhaseId == "P1" ? ModelScript.GreetFix
                : "```diff\n--- a/notes/todo.txt\n+++ b/notes/todo.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n```\n");
        }, tune: o => o with { });
        // P1's only attempt is stopped: a stop must not use it up.
        await h.SeedAsync("run-kill", new PhaseSpec("P1", "T1", ["greet.sh"], MaxAttempts: 1), new PhaseSpec("P2", "T2", ["notes/todo.txt"], TestCommand: null));
        h.Start();

        var waiting = await h.WaitForAsync(async ctx =>
            await ctx.Phases.AsNoTracking().SingleOrDefaultAsync(p => p.PhaseId == "P1" && p.State == PhaseState.Queued && p.StatusReason != null), what: "P1 released");
        Assert.Contains("disable_autonomous", waiting.StatusReason);
        Assert.Equal(0, waiting.Attempts); // the stopped attempt is not counted
        var calls = h.Script.Requests.Count;
        await Task.Delay(3000); // longer than the kill switch cache
        Assert.Equal(calls, h.Script.Requests.Count);
        Assert.Empty(h.Repo.Log("autopack/run-kill")); // the approved change was not landed either

        await h.SetKillSwitchAsync(KillSwitchNames.DisableAutonomous, false);
        await h.WaitForRunAsync("run-kill", RunState.Complete);
        Assert.Equal(2, h.Repo.Log("autopack/run-kill").Count);
        var attempts = await h.AttemptsAsync("run-kill", "P1");
        Assert.Equal([("STOPPED", "KILL_SWITCH"), ("SUCCEEDED", null)], attempts.Select(a => (a.Outcome, a.FailureReason)));
        // Same rung (no escalation), and the paid builder answer was reused: one builder call for P1, the auditor asked again.
        Assert.Equal(["scripted:cheap", "scripted:cheap"], attempts.Select(a => a.Model));
        Assert.Single(h.Script.For("builder"), b => b.PhaseId == "P1");
        Assert.Equal(2, h.Script.For("auditor").Count(b => b.PhaseId == "P1"));
        Assert.Equal(1, (await h.PhasesAsync("run-kill"))[0].Attempts);
        await using var ctx = h.Context();
        Assert.DoesNotContain(await ctx.RunEvents.Where(e => e.RunId == "run-kill").Select(e => e.Payload).ToListAsync(), p => p.Contains("MAX_ATTEMPTS"));
        await PhaseEventSequence.AssertAsync(h, "run-kill", "kill-switch");
    }

    [Fact]
    public async Task Cancelling_the_run_stops_the_phase_within_seconds_and_kills_its_test_process()
    {
        var marker = "sleep 47.25";
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix));
        await h.SeedAsync("run-cancel", new PhaseSpec("P1", "T1", ["greet.sh"], TestCommand: marker + " && sh test.sh"));
        h.Start();
        await h.WaitForAsync(async _ => { await Task.Yield(); return IsRunning(marker); }, what: "test command running");

        var sw = Stopwatch.StartNew();
        await using (var ctx = h.Context())
        {
            await using var tx = await ctx.Database.BeginTransactionAsync();
            var run = await ctx.Runs.SingleAsync();
            await StateChanges.MoveRunAsync(ctx, run, RunState.Cancelled, DateTime.UtcNow, "operator");
            await ctx.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var phase = await h.WaitForAsync(async ctx => await ctx.Phases.AsNoTracking().SingleOrDefaultAsync(p => p.State == PhaseState.Failed),
            TimeSpan.FromSeconds(5), "phase stopped");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        Assert.Equal("CANCELLED", phase.FailureReason);
        Assert.False(IsRunning(marker), "the test process survived the cancel");
        Assert.Equal("STOPPED", (await h.AttemptsAsync("run-cancel", "P1"))[0].Outcome);
        Assert.Empty(h.Repo.Log("autopack/run-cancel"));
        await PhaseEventSequence.AssertAsync(h, "run-cancel", "cancel");
    }

    [Fact]
    public async Task Shutdown_releases_the_current_phase_and_another_executor_finishes_it()
    {
        // Unsandboxed: the test command keeps a file outside its worktree between runs (HostileCodeTests cover the sandbox).
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix),
            tune: o => o with { Sandbox = o.Sandbox with { Mode = Autopack.Executor.Sandbox.SandboxMode.Off } });
        // The first test run sleeps (the executor is stopped during it); the next one is quick.
        var slow = Path.Combine(h.Repo.Path, "first-run");
        await h.SeedAsync("run-term", new PhaseSpec("P1", "T1", ["greet.sh"], MaxAttempts: 1,
            TestCommand: $"if [ ! -e {slow} ]; then touch {slow}; sleep 30; fi; sh test.sh"));
        h.Start();
        await h.WaitForAsync(async _ => { await Task.Yield(); return File.Exists(slow); }, what: "test command running");
        await h.StopAsync(); // SIGTERM path: cancellation of the host's stopping token

        var phase = (await h.PhasesAsync("run-term"))[0];
        Assert.Equal((PhaseState.Queued, 0), (phase.State, phase.Attempts)); // back in the queue, the attempt not counted
        Assert.Null(phase.ClaimedBy);
        Assert.Equal("STOPPED", (await h.AttemptsAsync("run-term", "P1"))[0].Outcome);

        // A restarted executor finishes it on the last (only) attempt, with the builder's answer it already paid for.
        h.Start();
        await h.WaitForRunAsync("run-term", RunState.Complete);
        Assert.Single(h.Script.For("builder"));
        Assert.Equal(["STOPPED", "SUCCEEDED"], (await h.AttemptsAsync("run-term", "P1")).Select(a => a.Outcome));
        Assert.Single(h.Repo.Log("autopack/run-term"));
        await PhaseEventSequence.AssertAsync(h, "run-term", "shutdown-then-resume");
    }

    [Fact]
    public async Task A_commit_landed_before_a_crash_is_recorded_not_repeated()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: _ => throw new InvalidOperationException("the model must not be asked again"));
        await h.SeedAsync("run-crash", new PhaseSpec("P1", "T1", ["greet.sh"]));
        // A previous executor claimed P1, landed its commit, and died before writing COMPLETE.
        await using (var ctx = h.Context())
        {
            var claimer = new PhaseClaimer(TimeProvider.System);
            Assert.NotNull(await claimer.ClaimNextAsync(ctx, "dead", TimeSpan.FromMilliseconds(-1), 2));
            await ctx.Phases.ExecuteUpdateAsync(s => s.SetProperty(p => p.Attempts, 1));
        }
        var ws = new Autopack.Executor.Workspace.RunWorkspace(h.Repo.Path, h.Options.WorktreeRoot, "run-crash");
        await ws.EnsureBranchAsync();
        var wt = await ws.PrepareAsync("P1");
        await Autopack.Executor.Patching.PatchApplier.ApplyAsync(wt.Path, Autopack.Executor.Patching.UnifiedDiff.ParseResponse(ModelScript.GreetFix), default);
        var landed = await wt.CommitAndLandAsync("run-crash", "P1", "P1: P1", "before the crash", default);

        h.Start();
        await h.WaitForRunAsync("run-crash", RunState.Complete);
        var phase = (await h.PhasesAsync("run-crash"))[0];
        Assert.Equal(landed, phase.CommitSha);
        Assert.Single(h.Repo.Log("autopack/run-crash"));
        await PhaseEventSequence.AssertAsync(h, "run-crash", "lease-expired-commit-found");
        Assert.Empty(h.Script.Requests);
    }

    [Fact]
    public async Task An_auditor_escalation_asks_a_human_and_continues_when_approved()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor"
            ? new ScriptedAnswer("VERDICT: ESCALATE\nChanges user-facing text; a human should confirm.")
            : new ScriptedAnswer(ModelScript.GreetFix));
        await h.SeedAsync("run-esc", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();
        var approval = await h.WaitForAsync(async ctx => await ctx.Approvals.AsNoTracking().SingleOrDefaultAsync());
        Assert.Equal(ApprovalKind.AuditorEscalate, approval.Kind);
        Assert.Contains("a human should confirm", approval.Reason);
        Assert.Equal(PhaseState.Gate, (await h.PhasesAsync("run-esc"))[0].State);
        await using (var ctx = h.Context())
            await ApprovalWorkflow.DecideAsync(ctx, approval.Id, true, "bob", "telegram");
        await h.WaitForRunAsync("run-esc", RunState.Complete);
        Assert.Equal("ESCALATE", (await h.AttemptsAsync("run-esc", "P1"))[0].AuditorVerdict);
        await PhaseEventSequence.AssertAsync(h, "run-esc", "auditor-escalation-approved");
    }

    [Fact]
    public async Task A_phase_over_its_token_cap_fails_with_BUDGET_EXHAUSTED_before_the_next_model_call()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve
            : new ScriptedAnswer(ModelScript.GreetFix, PromptTokens: 1500, CompletionTokens: 100),
            tune: o => o with { PhaseTokenCap = 1_000, KeepEmptyBranches = true });
        await h.SeedAsync("run-cap", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();
        await h.WaitForRunAsync("run-cap", RunState.Failed);
        await h.StopAsync(); // the runner has finished, housekeeping included
        Assert.True(h.Repo.HasBranch("autopack/run-cap"), "AUTOPACK_KEEP_EMPTY_BRANCHES=1 keeps the empty branch");
        var phase = (await h.PhasesAsync("run-cap"))[0];
        Assert.Equal(("BUDGET_EXHAUSTED", 1600L), (phase.FailureReason, phase.TokensUsed));
        Assert.Empty(h.Script.For("auditor"));
        Assert.Empty(h.Repo.Log("autopack/run-cap"));
        await PhaseEventSequence.AssertAsync(h, "run-cap", "phase-token-cap");
    }

    [Fact]
    public async Task A_patch_touching_a_protected_path_is_never_applied_and_the_reason_is_fed_back()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r switch
        {
            { Role: "auditor" } => ModelScript.Approve,
            { Model: "cheap" } => new ScriptedAnswer("```diff\n--- a/test.sh\n+++ b/test.sh\n@@ -1 +1,2 @@\n #!/bin/sh\n+exit 0\n```\n"),
            _ => new ScriptedAnswer(ModelScript.GreetFix),
        }, tune: o => o with { ProtectedPaths = ["test.sh"] });
        await h.SeedAsync("run-prot", new PhaseSpec("P1", "T1", []));
        h.Start();
        await h.WaitForRunAsync("run-prot", RunState.Complete);
        var attempts = await h.AttemptsAsync("run-prot", "P1");
        Assert.Equal(("PATCH_FAILED", "SUCCEEDED"), (attempts[0].FailureReason, attempts[1].Outcome));
        Assert.Contains("protected paths", h.Script.For("builder")[1].Prompt);
        Assert.DoesNotContain("exit 0", h.Repo.Show("autopack/run-prot", "test.sh"));
        await using var ctx = h.Context();
        Assert.Empty(ctx.Approvals); // never means never: not even an approval request
        await PhaseEventSequence.AssertAsync(h, "run-prot", "protected-path");
    }

    private static bool IsRunning(string commandLine) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Trim() == commandLine; }
            catch (Exception) { return false; }
        });
}
