using System.Diagnostics;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Executor.Models;
using Autopack.Executor.Patching;
using Autopack.Executor.Prompts;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Testing;
using Autopack.Executor.Workspace;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Loop;

/// <summary>
/// Works one claimed phase to the end: attempts (build prompt → builder → strict diff → scope governance →
/// git apply → tests → auditor → quality gate → one commit on the run branch), retries with the failure fed
/// back and the model escalated, budgets, approvals, kill switches and cancellation. All state lives in the
/// database, so another executor can pick the phase up after a crash.
/// </summary>
public sealed class PhaseRunner(IAutopackDbFactory dbFactory, LeaseWatcher leases, PhaseLedger ledger, ApprovalGate approvals, ExecutorOptions options, ModelRouter router,
    PromptBuilder prompts, UsageRecorder usage, PhaseMemory memory, KillSwitchReader killSwitches, TimeProvider time,
    CommandSandbox sandbox, ILogger<PhaseRunner> logger)
{
    private readonly ScopeGovernor _governor = new(options.ProtectedPaths, options.DeletionApprovalLines);

    public async Task RunAsync(ClaimedPhase claim, CancellationToken stopping)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = claim.RunId, ["phase_id"] = claim.PhaseId });
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var watch = new PhaseWatch();
        var watcher = leases.WatchAsync(claim, watch, work);
        PhaseWorktree? worktree = null;
        RunWorkspace? workspace = null;
        try
        {
            var (run, phase) = await ledger.LoadAsync(claim, work.Token);
            var repo = run.RepoPath ?? options.TargetRepoPath;
            // Known at once and never fixed by retrying: fail the phase once, with the reason.
            if (await TargetRepository.ProblemAsync(repo) is { } problem)
            {
                await ledger.FinishAsync(claim, PhaseState.Failed, ReasonCodes.NoRepository, null, problem, work.Token);
                return;
            }
            // Before any model call: tests that may not run unsandboxed would fail every attempt.
            if (!string.IsNullOrWhiteSpace(phase.TestCommand) && sandbox.Refusal is { } refusal)
            {
                await ledger.FinishAsync(claim, PhaseState.Failed, ReasonCodes.SandboxUnavailable, null, refusal, work.Token);
                return;
            }
            workspace = new RunWorkspace(repo!, options.WorktreeRoot, run.Id);
            await workspace.EnsureBranchAsync();
            if (run.Branch != workspace.Branch)
            {
                await using var db = dbFactory.Create();
                await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Branch, workspace.Branch), work.Token);
            }
            // A crash between landing the commit and recording it: the branch already has it, so do not redo it.
            if (await workspace.FindPhaseCommitAsync(run.Id, phase.PhaseId) is { } landed)
            {
                logger.LogInformation("Phase {Phase} already has commit {Sha} on {Branch}; recording it", phase.PhaseId, landed, workspace.Branch);
                await ledger.FinishAsync(claim, PhaseState.Complete, null, landed, "commit found on the run branch after a restart", work.Token);
                return;
            }

            var feedback = await ledger.LastFailureAsync(claim, work.Token);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                (run, phase) = await ledger.LoadAsync(claim, work.Token);
                if (phase.Attempts >= phase.MaxAttempts)
                {
                    await ledger.FinishAsync(claim, PhaseState.Failed, ReasonCodes.MaxAttempts, null, $"all {phase.MaxAttempts} attempts used", work.Token);
                    return;
                }
                var blocked = await CheckBudgetsAsync(run, phase, clock, work.Token);
                if (blocked is not null)
                {
                    await ledger.FinishAsync(claim, PhaseState.Failed, blocked.Value.Reason, null, blocked.Value.Note, work.Token);
                    return;
                }
                await EnsureNoKillSwitchAsync(work.Token);
                var kept = await ledger.KeptAnswerAsync(claim, work.Token);
                var attempt = await ledger.StartAttemptAsync(claim, work.Token);
                worktree = await workspace.PrepareAsync(phase.PhaseId);
                AttemptOutcome outcome;
                try
                {
                    outcome = await AttemptAsync(claim, phase, attempt, kept, worktree, feedback, clock, work.Token);
                }
                catch (BudgetStopException ex)
                {
                    outcome = AttemptOutcome.Fail(ex.Reason, ex.Message, terminal: true);
                }
                await ledger.RecordAttemptAsync(claim, attempt.Number, outcome, work.Token);
                if (outcome.Succeeded)
                {
                    await ledger.FinishAsync(claim, PhaseState.Complete, null, outcome.CommitSha, $"attempt {attempt.Number} passed the quality gate", work.Token);
                    await memory.RememberAsync("summary", $"Phase '{phase.Name}' completed: {phase.Description} Files: {string.Join(", ", phase.ScopePaths)}.",
                        run.Id, phase.PhaseId, CancellationToken.None);
                    if (!string.IsNullOrEmpty(feedback))
                        await memory.RememberAsync("fix", $"Error: {Clip(feedback, 600)}\nFixed by:\n{Clip(outcome.Diff ?? "", 1200)}", run.Id, phase.PhaseId, CancellationToken.None);
                    return;
                }
                await memory.RememberAsync("error", $"Phase '{phase.Name}' ({phase.Description}) failed with {outcome.Reason}: {Clip(outcome.Feedback ?? "", 1500)}",
                    run.Id, phase.PhaseId, CancellationToken.None);
                if (outcome.Terminal || attempt.Counted >= phase.MaxAttempts)
                {
                    var reason = outcome.Terminal ? outcome.Reason! : ReasonCodes.MaxAttempts;
                    await ledger.FinishAsync(claim, PhaseState.Failed, reason, null,
                        $"attempt {attempt.Number}: {outcome.Reason}: {Clip(outcome.Feedback ?? "", 300)}", work.Token);
                    return;
                }
                await ledger.BackToExecutingAsync(claim, work.Token);
                // The worktree stays: the next attempt's PrepareAsync resets and cleans it; it is removed once, below.
                feedback = $"{outcome.Reason}: {outcome.Feedback}";
            }
        }
        catch (PhaseStopException stop)
        {
            await StopAsync(claim, stop.Kind, stop.Message);
        }
        catch (OperationCanceledException) when (watch.Stop is not null || stopping.IsCancellationRequested)
        {
            await StopAsync(claim, watch.Stop ?? StopKind.Shutdown, watch.StopReason ?? "executor shutting down");
        }
        catch (Exception ex)
        {
            // The outer message of a database error says only "see the inner exception": store and show the cause.
            var error = ex.GetBaseException().Message;
            logger.LogError(ex, "Phase {Phase} failed in the executor; requeueing it with backoff", claim.PhaseId);
            await SafeAsync(() => ledger.ReleaseAfterErrorAsync(claim, error));
        }
        finally
        {
            await work.CancelAsync();
            try { await watcher; } catch (OperationCanceledException) { }
            if (worktree is not null && workspace is not null) await SafeAsync(() => workspace.RemoveWorktreeAsync(worktree.Path));
            await RemoveIfEmptyAsync(claim, workspace);
        }
    }

    /// <summary>
    /// Housekeeping: a run that ended FAILED or CANCELLED with nothing in flight and no phase commit on its branch leaves
    /// no empty <c>autopack/&lt;run&gt;</c> branch or worktree folder behind (AUTOPACK_KEEP_EMPTY_BRANCHES=1 keeps them).
    /// </summary>
    private async Task RemoveIfEmptyAsync(ClaimedPhase claim, RunWorkspace? workspace)
    {
        if (workspace is null || options.KeepEmptyBranches) return;
        await SafeAsync(async () =>
        {
            await using var db = dbFactory.Create();
            var state = await db.Runs.Where(r => r.Id == claim.RunId).Select(r => r.State).SingleAsync();
            if (state is not (RunState.Failed or RunState.Cancelled)) return;
            if (await db.Phases.AnyAsync(p => p.RunId == claim.RunId && PhaseClaimer.InFlight.Contains(p.State))) return;
            if (await workspace.RemoveIfEmptyAsync())
                logger.LogInformation("Run {Run} ended without commits: removed {Branch} and its worktree folder", claim.RunId, workspace.Branch);
        });
    }

    private async Task<AttemptOutcome> AttemptAsync(ClaimedPhase claim, Phase phase, AttemptStart attempt, KeptAnswer? kept, PhaseWorktree worktree,
        string? feedback, Stopwatch clock, CancellationToken ct)
    {
        // The rung follows the attempts counted in this round: a stop, which is not counted, never escalates.
        var step = router.BuilderStep(phase.Complexity, attempt.Counted);
        var number = attempt.Number;
        ParsedDiff diff;
        string builderModel;
        if (kept is not null)
        {
            // A stop interrupted the previous attempt after the builder had answered: use that paid answer.
            logger.LogInformation("Reusing the builder answer of stopped attempt {Attempt} ({Model})", kept.FromAttempt, kept.Model);
            diff = UnifiedDiff.Parse(kept.Diff);
            builderModel = kept.Model;
            await ledger.RecordBuilderAnswerAsync(claim, number, builderModel, diff.Text, ct);
        }
        else
        {
            var hits = await memory.RecallAsync($"{phase.Name} {phase.Description} {feedback}", 5, ct);
            var messages = await prompts.BuildBuilderAsync(phase, worktree.Path, feedback, hits, ct);

            // Builder; a truncated answer is asked again with a larger output budget (×1.25, capped).
            var outputBudget = options.MaxOutputTokens;
            ModelCallResult built;
            while (true)
            {
                await BeforeModelCallAsync(claim, clock, ct);
                built = await CallModelAsync(claim, step, messages, new ChatOptions { MaxOutputTokens = outputBudget, Temperature = 0 }, clock, ct);
                await usage.RecordAsync(claim.RunId, claim.PhaseId, "builder", built, CancellationToken.None);
                await ledger.RecordBuilderAnswerAsync(claim, number, built.Model.ToString(), null, ct);
                if (!built.Truncated) break;
                var larger = Math.Min(options.MaxOutputTokensCap, (int)Math.Ceiling(outputBudget * 1.25));
                if (larger <= outputBudget)
                    return AttemptOutcome.Fail(ReasonCodes.PatchFailed, $"The answer was cut off at the output limit ({outputBudget} tokens, the cap). Make the diff smaller.");
                logger.LogInformation("Builder output truncated at {Budget} tokens; retrying with {Larger}", outputBudget, larger);
                outputBudget = larger;
            }
            builderModel = built.Model.ToString();
            try { diff = UnifiedDiff.ParseResponse(built.Response.Text); }
            catch (DiffFormatException ex) { return AttemptOutcome.Fail(ReasonCodes.PatchFailed, "Your answer could not be parsed: " + ex.Message); }
            await ledger.RecordBuilderAnswerAsync(claim, number, builderModel, diff.Text, ct);
        }

        var decision = _governor.Evaluate(diff, phase.ScopePaths);
        if (decision.Verdict == ScopeVerdict.Forbidden)
            return AttemptOutcome.Fail(ReasonCodes.PatchFailed, decision.Reason + " Those paths are never edited.") with { Diff = diff.Text };
        if (decision.Verdict == ScopeVerdict.NeedsApproval)
        {
            var kind = decision.LargeDeletion ? ApprovalKind.LargeDeletion : ApprovalKind.ScopeViolation;
            if (!await approvals.AwaitAsync(claim, kind, decision.Reason, diff.Text, clock, ct))
                return AttemptOutcome.Fail(ReasonCodes.ApprovalRejected, $"{decision.Reason} A human rejected it (or it expired).", terminal: true) with { Diff = diff.Text };
        }

        await EnsureNoKillSwitchAsync(ct); // before every apply
        try { await PatchApplier.ApplyAsync(worktree.Path, diff, ct); }
        catch (PatchApplyException ex) { return AttemptOutcome.Fail(ReasonCodes.PatchFailed, ex.Message) with { Diff = diff.Text }; }

        TestResult? tests = null;
        if (!string.IsNullOrWhiteSpace(phase.TestCommand))
        {
            var remaining = options.PhaseTimeout - clock.Elapsed;
            var timeout = remaining < options.TestTimeout ? remaining : options.TestTimeout;
            if (timeout <= TimeSpan.Zero) return AttemptOutcome.Fail(ReasonCodes.Timeout, "The phase ran out of wall-clock time.", terminal: true);
            using (var command = sandbox.Prepare(phase.TestCommand, worktree.Path))
                tests = await TestCommandRunner.RunAsync(command, timeout, options.TestOutputMaxChars, ct, RunWorkspace.TestGroupRecord(worktree.Path));
            await ledger.RecordTestsAsync(claim, number, tests, ct);
            if (!tests.Passed)
                return AttemptOutcome.Fail(tests.TimedOut ? ReasonCodes.Timeout : ReasonCodes.CiFailed,
                    $"`{phase.TestCommand}` {(tests.TimedOut ? "timed out" : tests.OutputCutOff ? "was stopped at the output limit" : $"exited with {tests.ExitCode}")}:\n{tests.Output}")
                    with { Diff = diff.Text, TestOutput = tests.Output, TestExitCode = tests.ExitCode };
        }

        await ledger.MoveAsync(claim, PhaseState.Gate, ct);
        await BeforeModelCallAsync(claim, clock, ct);
        var audit = await CallModelAsync(claim, router.AuditorStep(step), prompts.BuildAuditor(phase, diff.Text, tests),
            new ChatOptions { MaxOutputTokens = options.MaxOutputTokens, Temperature = 0 }, clock, ct);
        await usage.RecordAsync(claim.RunId, claim.PhaseId, "auditor", audit, CancellationToken.None);
        var verdict = AuditorVerdict.Parse(audit.Response.Text);
        var withResults = new AttemptOutcome(false, null, null, Diff: diff.Text, TestOutput: tests?.Output, TestExitCode: tests?.ExitCode,
            Verdict: verdict.Verdict.ToString().ToUpperInvariant(), AuditorNotes: verdict.Notes);
        if (verdict.Verdict == Verdict.Reject)
            return withResults with { Reason = ReasonCodes.AuditorRejected, Feedback = "The auditor rejected the change: " + verdict.Notes };
        if (verdict.Verdict == Verdict.Escalate
            && !await approvals.AwaitAsync(claim, ApprovalKind.AuditorEscalate, "The auditor escalated: " + Clip(verdict.Notes, 500), diff.Text, clock, ct))
            return withResults with { Reason = ReasonCodes.ApprovalRejected, Feedback = "The auditor escalated and a human rejected it (or it expired).", Terminal = true };

        // Quality gate: tests passed (or none), the auditor approved (or a human did), and the diff changed something.
        if ((await worktree.DiffAsync()).Length == 0)
            return withResults with { Reason = ReasonCodes.PatchFailed, Feedback = "The patch changed nothing." };
        await EnsureNoKillSwitchAsync(ct);
        var sha = await worktree.CommitAndLandAsync(claim.RunId, claim.PhaseId, $"{phase.PhaseId}: {phase.Name}",
            $"{phase.Description}\n\nAutopack run {claim.RunId}, attempt {number}, model {builderModel}.", ct);
        return withResults with { Succeeded = true, CommitSha = sha };
    }

    /// <summary>
    /// A model call that outlasts an outage: when every provider of the rung is down, the attempt waits (lease kept,
    /// wall clock paused, <c>status_reason</c> naming the providers and until when) and calls again then. An outage is
    /// not the phase's fault, so it never counts an attempt or fails the run.
    /// </summary>
    private async Task<ModelCallResult> CallModelAsync(ClaimedPhase claim, EscalationStep step, IList<ChatMessage> messages, ChatOptions chat,
        Stopwatch clock, CancellationToken ct)
    {
        var waited = false;
        while (true)
        {
            try
            {
                var result = await router.CallAsync(step, messages, chat, ct);
                if (waited) await ledger.SetStatusReasonAsync(claim, null, ct);
                return result;
            }
            catch (ModelUnavailableException ex)
            {
                var wait = ex.RetryAt - time.GetUtcNow();
                if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
                var until = time.GetUtcNow() + wait;
                logger.LogWarning(ex, "Phase {Phase} waits for a model provider until {Until:HH:mm:ss}Z", claim.PhaseId, until);
                await ledger.SetStatusReasonAsync(claim,
                    $"waiting: model unavailable: {string.Join("; ", ex.Outages)}; retrying at {until.UtcDateTime:HH:mm:ss}Z", ct);
                waited = true;
                clock.Stop();
                try { await Task.Delay(wait, time, ct); }
                finally { clock.Start(); }
                await EnsureNoKillSwitchAsync(ct);
            }
        }
    }

    /// <summary>Kill switches, cancellation and budgets, checked before every model call.</summary>
    private async Task BeforeModelCallAsync(ClaimedPhase claim, Stopwatch clock, CancellationToken ct)
    {
        await EnsureNoKillSwitchAsync(ct);
        var (run, phase) = await ledger.LoadAsync(claim, ct);
        var blocked = await CheckBudgetsAsync(run, phase, clock, ct);
        if (blocked is not null) throw new BudgetStopException(blocked.Value.Reason, blocked.Value.Note);
    }

    private async Task EnsureNoKillSwitchAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        killSwitches.Invalidate(); // read fresh: an operator's stop must hold from the very next model call or apply
        foreach (var name in new[] { KillSwitchNames.DisableAll, KillSwitchNames.DisableAutonomous })
            if (await killSwitches.IsEngagedAsync(name, ct))
                throw new PhaseStopException(StopKind.KillSwitch, $"kill switch {name} is engaged");
    }

    /// <summary>
    /// Token cap at 95%: the run pauses and this phase waits (lease kept) until an operator raises the cap.
    /// Phase token cap, phase wall clock and run duration end the phase.
    /// </summary>
    private async Task<(string Reason, string Note)?> CheckBudgetsAsync(Run run, Phase phase, Stopwatch clock, CancellationToken ct)
    {
        if (run.StartedAt is { } started && time.GetUtcNow().UtcDateTime - started > TimeSpan.FromMinutes(run.MaxDurationMinutes))
            return (ReasonCodes.Timeout, $"the run exceeded its {run.MaxDurationMinutes} minute duration");
        if (clock.Elapsed > options.PhaseTimeout)
            return (ReasonCodes.Timeout, $"the phase exceeded its {options.PhaseTimeout.TotalMinutes:0} minute wall clock");
        if (phase.TokensUsed >= options.PhaseTokenCap)
            return (ReasonCodes.BudgetExhausted, $"the phase used {phase.TokensUsed} tokens (cap {options.PhaseTokenCap})");
        if (run.TokensUsed >= run.TokenCap * RunCaps.PauseAtFraction || run.State == RunState.Paused)
            await WaitWhilePausedAsync(run, phase, clock, ct);
        return null;
    }

    private async Task WaitWhilePausedAsync(Run run, Phase phase, Stopwatch clock, CancellationToken ct)
    {
        await PauseAsync(run.Id, phase.Id, ct);
        clock.Stop();
        try
        {
            while (true)
            {
                await Task.Delay(options.PollInterval, time, ct);
                await using var db = dbFactory.Create();
                var current = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id, ct);
                if (current.State == RunState.Cancelled) throw new PhaseStopException(StopKind.Cancelled, "run cancelled");
                if (current.State.IsFinished()) throw new PhaseStopException(StopKind.Cancelled, $"run {EnumNames.ToWire(current.State)}");
                if (current.State == RunState.Paused) continue;
                if (current.TokensUsed >= current.TokenCap * RunCaps.PauseAtFraction)
                {
                    // Resumed without raising the cap far enough: pause again rather than overspend.
                    await PauseAsync(run.Id, phase.Id, ct);
                    continue;
                }
                // Resumed (the API raised the cap): carry on, the run is RUNNING again.
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var tracked = await db.Runs.SingleAsync(r => r.Id == run.Id, ct);
                if (tracked.State == RunState.Queued) await StateChanges.MoveRunAsync(db, tracked, RunState.Running, time.GetUtcNow().UtcDateTime, ct: ct);
                await db.Phases.Where(p => p.Id == phase.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, (string?)null), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                logger.LogInformation("Run {Run} resumed with token cap {Cap}", run.Id, current.TokenCap);
                return;
            }
        }
        finally { clock.Start(); }
    }

    private async Task PauseAsync(string runId, long phaseRowId, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var run = await db.Runs.SingleAsync(r => r.Id == runId, ct);
        var reason = $"token budget: {run.TokensUsed} of {run.TokenCap} used (pauses at {RunCaps.PauseAtFraction:P0}); raise the cap with POST /runs/{run.Id}/resume";
        if (run.State is RunState.Running or RunState.Queued)
        {
            await StateChanges.MoveRunAsync(db, run, RunState.Paused, time.GetUtcNow().UtcDateTime, reason, ct);
            logger.LogWarning("Run {Run} paused: {Reason}", run.Id, reason);
        }
        await db.Phases.Where(p => p.Id == phaseRowId).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, "waiting: run paused (" + (run.PauseReason ?? reason) + ")"), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A stop never costs an attempt: kill switch and shutdown put the phase back in the queue with the interrupted
    /// attempt STOPPED (not counted, its model answer kept); a cancel fails the phase; a lost lease is someone else's.
    /// </summary>
    private async Task StopAsync(ClaimedPhase claim, StopKind kind, string reason)
    {
        logger.LogInformation("Phase {Phase} stopping: {Kind} ({Reason})", claim.PhaseId, kind, reason);
        switch (kind)
        {
            case StopKind.Cancelled:
                await SafeAsync(() => ledger.FinishCancelledAsync(claim, reason));
                break;
            case StopKind.KillSwitch:
                await SafeAsync(() => ledger.ReleaseForStopAsync(claim, ReasonCodes.KillSwitch, reason, "waiting: " + reason));
                break;
            case StopKind.Shutdown:
                await SafeAsync(() => ledger.ReleaseForStopAsync(claim, ReasonCodes.Released, reason, null));
                break;
            case StopKind.LeaseLost:
                break; // someone else owns it now
        }
    }

    private async Task SafeAsync(Func<Task> action)
    {
        try { await action(); }
        catch (Exception ex) { logger.LogWarning(ex, "Cleanup step failed: {Error}", ex.GetBaseException().Message); }
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>A budget ran out before a model call (phase token cap, wall clock, run duration): the phase fails with the reason.</summary>
public sealed class BudgetStopException(string reason, string note) : Exception(note)
{
    public string Reason { get; } = reason;
}
