using System.Diagnostics;
using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Executor.Models;
using Autopack.Executor.Patching;
using Autopack.Executor.Prompts;
using Autopack.Executor.Testing;
using Autopack.Executor.Workspace;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Autopack.Executor.Loop;

/// <summary>
/// Works one claimed phase to the end: attempts (build prompt → builder → strict diff → scope governance →
/// git apply → tests → auditor → quality gate → one commit on the run branch), retries with the failure fed
/// back and the model escalated, budgets, approvals, kill switches and cancellation. All state lives in the
/// database, so another executor can pick the phase up after a crash.
/// </summary>
public sealed class PhaseRunner(IAutopackDbFactory dbFactory, PhaseClaimer claimer, ExecutorOptions options, ModelRouter router,
    PromptBuilder prompts, UsageRecorder usage, PhaseMemory memory, KillSwitchReader killSwitches, TimeProvider time,
    ILogger<PhaseRunner> logger)
{
    private readonly ScopeGovernor _governor = new(options.ProtectedPaths, options.DeletionApprovalLines);

    public async Task RunAsync(ClaimedPhase claim, CancellationToken stopping)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = claim.RunId, ["phase_id"] = claim.PhaseId });
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var watch = new PhaseWatch();
        var watcher = WatchAsync(claim, watch, work);
        PhaseWorktree? worktree = null;
        RunWorkspace? workspace = null;
        try
        {
            var (run, phase) = await LoadAsync(claim, work.Token);
            var repo = run.RepoPath ?? options.TargetRepoPath;
            if (string.IsNullOrWhiteSpace(repo))
            {
                await FinishPhaseAsync(claim, PhaseState.Failed, ReasonCodes.NoRepository, null,
                    "the run has no repo_path and the executor has no TARGET_REPO_PATH", work.Token);
                return;
            }
            workspace = new RunWorkspace(repo, options.WorktreeRoot, run.Id);
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
                await FinishPhaseAsync(claim, PhaseState.Complete, null, landed, "commit found on the run branch after a restart", work.Token);
                return;
            }

            var feedback = await LastFailureAsync(claim, work.Token);
            // A phase that arrives with every attempt used was re-queued by an operator (the executor's own
            // requeue never does that): it gets a fresh round of max_attempts.
            var attemptLimit = phase.Attempts >= phase.MaxAttempts ? phase.Attempts + phase.MaxAttempts : phase.MaxAttempts;
            var clock = Stopwatch.StartNew();
            watch.Clock = clock;
            while (true)
            {
                (run, phase) = await LoadAsync(claim, work.Token);
                if (phase.Attempts >= attemptLimit)
                {
                    await FinishPhaseAsync(claim, PhaseState.Failed, ReasonCodes.MaxAttempts, null, $"all {phase.MaxAttempts} attempts used", work.Token);
                    return;
                }
                var blocked = await CheckBudgetsAsync(run, phase, clock, watch, work.Token);
                if (blocked is not null)
                {
                    await FinishPhaseAsync(claim, PhaseState.Failed, blocked.Value.Reason, null, blocked.Value.Note, work.Token);
                    return;
                }
                await EnsureNoKillSwitchAsync(work.Token);
                var number = await StartAttemptAsync(claim, work.Token);
                worktree = await workspace.PrepareAsync(phase.PhaseId);
                AttemptOutcome outcome;
                try
                {
                    outcome = await AttemptAsync(claim, phase, number, worktree, feedback, clock, watch, work.Token);
                }
                catch (BudgetStopException ex)
                {
                    outcome = AttemptOutcome.Fail(ex.Reason, ex.Message, terminal: true);
                }
                catch (ModelUnavailableException ex)
                {
                    // Not the phase's fault: give it back (attempt counted, so a dead provider cannot loop forever).
                    await RecordAttemptAsync(claim, number, AttemptOutcome.Fail(ReasonCodes.ModelUnavailable, ex.Message), "ABANDONED", work.Token);
                    await using var releaseDb = dbFactory.Create();
                    await claimer.ReleaseAsync(releaseDb, claim, ReasonCodes.ModelUnavailable, ex.Message, CancellationToken.None);
                    return;
                }
                await RecordAttemptAsync(claim, number, outcome, outcome.Succeeded ? "SUCCEEDED" : "FAILED", work.Token);
                if (outcome.Succeeded)
                {
                    await FinishPhaseAsync(claim, PhaseState.Complete, null, outcome.CommitSha, $"attempt {number} passed the quality gate", work.Token);
                    await memory.RememberAsync("summary", $"Phase '{phase.Name}' completed: {phase.Description} Files: {string.Join(", ", phase.ScopePaths)}.", run.Id, phase.PhaseId, CancellationToken.None);
                    if (!string.IsNullOrEmpty(feedback))
                        await memory.RememberAsync("fix", $"Error: {Clip(feedback, 600)}\nFixed by:\n{Clip(outcome.Diff ?? "", 1200)}", run.Id, phase.PhaseId, CancellationToken.None);
                    return;
                }
                await memory.RememberAsync("error", $"Phase '{phase.Name}' ({phase.Description}) failed with {outcome.Reason}: {Clip(outcome.Feedback ?? "", 1500)}", run.Id, phase.PhaseId, CancellationToken.None);
                if (outcome.Terminal || number >= attemptLimit)
                {
                    var reason = outcome.Terminal ? outcome.Reason! : ReasonCodes.MaxAttempts;
                    await FinishPhaseAsync(claim, PhaseState.Failed, reason, null, $"attempt {number}: {outcome.Reason}: {Clip(outcome.Feedback ?? "", 300)}", work.Token);
                    return;
                }
                await BackToExecutingAsync(claim, work.Token);
                feedback = $"{outcome.Reason}: {outcome.Feedback}";
                await workspace.RemoveWorktreeAsync(worktree.Path);
                worktree = null;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or PhaseStopException && (watch.Stop is not null || stopping.IsCancellationRequested || ex is PhaseStopException))
        {
            var stop = ex as PhaseStopException;
            var kind = stop?.Kind ?? watch.Stop ?? StopKind.Shutdown;
            await StopAsync(claim, kind, stop?.Message ?? watch.StopReason ?? "executor shutting down");
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Phase {Phase} crashed in the executor; releasing it", claim.PhaseId);
            await SafeAsync(async () => { await using var db = dbFactory.Create(); await claimer.ReleaseAsync(db, claim, ReasonCodes.Released, "executor error: " + ex.Message, CancellationToken.None); });
        }
        finally
        {
            await work.CancelAsync();
            try { await watcher; } catch (OperationCanceledException) { }
            if (worktree is not null && workspace is not null) await SafeAsync(() => workspace.RemoveWorktreeAsync(worktree.Path));
        }
    }

    private async Task<AttemptOutcome> AttemptAsync(ClaimedPhase claim, Phase phase, int number, PhaseWorktree worktree, string? feedback,
        Stopwatch clock, PhaseWatch watch, CancellationToken ct)
    {
        var step = router.BuilderStep(phase.Complexity, number);
        var hits = await memory.RecallAsync($"{phase.Name} {phase.Description} {feedback}", 5, ct);
        var messages = await prompts.BuildBuilderAsync(phase, worktree.Path, feedback, hits, ct);

        // Builder; a truncated answer is asked again with a larger output budget (×1.25, capped).
        var outputBudget = options.MaxOutputTokens;
        ModelCallResult built;
        while (true)
        {
            await BeforeModelCallAsync(claim, clock, watch, ct);
            built = await router.CallAsync(step, messages, new ChatOptions { MaxOutputTokens = outputBudget, Temperature = 0 }, ct);
            await usage.RecordAsync(claim.RunId, claim.PhaseId, "builder", built, CancellationToken.None);
            await SetAttemptModelAsync(claim, number, built.Model.ToString(), ct);
            if (!built.Truncated) break;
            var larger = Math.Min(options.MaxOutputTokensCap, (int)Math.Ceiling(outputBudget * 1.25));
            if (larger <= outputBudget)
                return AttemptOutcome.Fail(ReasonCodes.PatchFailed, $"The answer was cut off at the output limit ({outputBudget} tokens, the cap). Make the diff smaller.");
            logger.LogInformation("Builder output truncated at {Budget} tokens; retrying with {Larger}", outputBudget, larger);
            outputBudget = larger;
        }

        ParsedDiff diff;
        try { diff = UnifiedDiff.ParseResponse(built.Response.Text); }
        catch (DiffFormatException ex) { return AttemptOutcome.Fail(ReasonCodes.PatchFailed, "Your answer could not be parsed: " + ex.Message); }

        var decision = _governor.Evaluate(diff, phase.ScopePaths);
        if (decision.Verdict == ScopeVerdict.Forbidden)
            return AttemptOutcome.Fail(ReasonCodes.PatchFailed, decision.Reason + " Those paths are never edited.") with { Diff = diff.Text };
        if (decision.Verdict == ScopeVerdict.NeedsApproval)
        {
            var kind = decision.LargeDeletion ? ApprovalKind.LargeDeletion : ApprovalKind.ScopeViolation;
            if (!await AwaitApprovalAsync(claim, kind, decision.Reason, diff.Text, clock, watch, ct))
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
            tests = await TestCommandRunner.RunAsync(phase.TestCommand, worktree.Path, timeout, options.TestOutputMaxChars, ct);
            if (!tests.Passed)
                return AttemptOutcome.Fail(tests.TimedOut ? ReasonCodes.Timeout : ReasonCodes.CiFailed,
                    $"`{phase.TestCommand}` {(tests.TimedOut ? "timed out" : $"exited with {tests.ExitCode}")}:\n{tests.Output}")
                    with { Diff = diff.Text, TestOutput = tests.Output, TestExitCode = tests.ExitCode };
        }

        await MoveAsync(claim, PhaseState.Gate, ct);
        await BeforeModelCallAsync(claim, clock, watch, ct);
        var auditorStep = router.AuditorStep(step);
        var audit = await router.CallAsync(auditorStep, prompts.BuildAuditor(phase, diff.Text, tests),
            new ChatOptions { MaxOutputTokens = options.MaxOutputTokens, Temperature = 0 }, ct);
        await usage.RecordAsync(claim.RunId, claim.PhaseId, "auditor", audit, CancellationToken.None);
        var verdict = AuditorVerdict.Parse(audit.Response.Text);
        var withResults = new AttemptOutcome(false, null, null, Diff: diff.Text, TestOutput: tests?.Output, TestExitCode: tests?.ExitCode,
            Verdict: verdict.Verdict.ToString().ToUpperInvariant(), AuditorNotes: verdict.Notes);
        if (verdict.Verdict == Verdict.Reject)
            return withResults with { Reason = ReasonCodes.AuditorRejected, Feedback = "The auditor rejected the change: " + verdict.Notes };
        if (verdict.Verdict == Verdict.Escalate
            && !await AwaitApprovalAsync(claim, ApprovalKind.AuditorEscalate, "The auditor escalated: " + Clip(verdict.Notes, 500), diff.Text, clock, watch, ct))
            return withResults with { Reason = ReasonCodes.ApprovalRejected, Feedback = "The auditor escalated and a human rejected it (or it expired).", Terminal = true };

        // Quality gate: tests passed (or none), the auditor approved (or a human did), and the diff changed something.
        if ((await worktree.DiffAsync()).Length == 0)
            return withResults with { Reason = ReasonCodes.PatchFailed, Feedback = "The patch changed nothing." };
        await EnsureNoKillSwitchAsync(ct);
        var sha = await worktree.CommitAndLandAsync(claim.RunId, claim.PhaseId, $"{phase.PhaseId}: {phase.Name}",
            $"{phase.Description}\n\nAutopack run {claim.RunId}, attempt {number}, model {built.Model}.", ct);
        return withResults with { Succeeded = true, CommitSha = sha };
    }

    /// <summary>Kill switches, cancellation and budgets, checked before every model call.</summary>
    private async Task BeforeModelCallAsync(ClaimedPhase claim, Stopwatch clock, PhaseWatch watch, CancellationToken ct)
    {
        await EnsureNoKillSwitchAsync(ct);
        var (run, phase) = await LoadAsync(claim, ct);
        var blocked = await CheckBudgetsAsync(run, phase, clock, watch, ct);
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
    private async Task<(string Reason, string Note)?> CheckBudgetsAsync(Run run, Phase phase, Stopwatch clock, PhaseWatch watch, CancellationToken ct)
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

    /// <summary>Creates the approval (with its event and outbox message) and waits for a decision; expiry or reject = false (fail closed).</summary>
    private async Task<bool> AwaitApprovalAsync(ClaimedPhase claim, ApprovalKind kind, string reason, string diff, Stopwatch clock,
        PhaseWatch watch, CancellationToken ct)
    {
        ApprovalRequest approval;
        await using (var db = dbFactory.Create())
        {
            approval = await ApprovalWorkflow.RequestAsync(db, claim.RunId, claim.PhaseId, kind, reason, diff, options.ApprovalTtl, ct);
            await db.Phases.Where(p => p.Id == claim.PhaseRowId)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, $"waiting for approval {approval.Id}: {Clip(reason, 300)}"), ct);
        }
        logger.LogInformation("Waiting for approval {Approval} ({Kind}): {Reason}", approval.Id, kind, reason);
        clock.Stop();
        try
        {
            while (true)
            {
                await using var db = dbFactory.Create();
                var current = await db.Approvals.AsNoTracking().SingleAsync(a => a.Id == approval.Id, ct);
                if (current.Status == ApprovalStatus.Approved) return true;
                if (current.Status is ApprovalStatus.Rejected or ApprovalStatus.Expired) return false;
                if (current.ExpiresAt <= time.GetUtcNow().UtcDateTime) return false; // the sweeper may be late; we are not
                await Task.Delay(options.ApprovalPollInterval, time, ct);
            }
        }
        finally
        {
            clock.Start();
            await using var db = dbFactory.Create();
            await db.Phases.Where(p => p.Id == claim.PhaseRowId).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, (string?)null), CancellationToken.None);
        }
    }

    /// <summary>Renews the lease and watches the run: cancellation stops the attempt (and kills its test process) within about a second.</summary>
    private async Task WatchAsync(ClaimedPhase claim, PhaseWatch watch, CancellationTokenSource work)
    {
        var renewEvery = options.Lease / 3;
        var lastRenew = new DateTimeOffset(claim.LeaseExpiresAt) - options.Lease; // the lease runs from the claim, not from this watcher's start
        var period = TimeSpan.FromMilliseconds(Math.Min(1000, renewEvery.TotalMilliseconds / 2));
        while (!work.IsCancellationRequested)
        {
            try { await Task.Delay(period, time, work.Token); } catch (OperationCanceledException) { return; }
            try
            {
                await using var db = dbFactory.Create();
                if (time.GetUtcNow() - lastRenew >= renewEvery)
                {
                    if (!await claimer.RenewAsync(db, claim, options.Lease, work.Token))
                    {
                        watch.Signal(StopKind.LeaseLost, "the lease was lost (requeued by another executor or changed by an operator)");
                        await work.CancelAsync();
                        return;
                    }
                    lastRenew = time.GetUtcNow();
                }
                var state = await db.Runs.Where(r => r.Id == claim.RunId).Select(r => r.State).SingleAsync(work.Token);
                if (state == RunState.Cancelled)
                {
                    watch.Signal(StopKind.Cancelled, "run cancelled");
                    await work.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) { return; }
            catch (Exception ex) { logger.LogWarning("Lease/run watch failed: {Error}", ex.Message); }
        }
    }

    private async Task StopAsync(ClaimedPhase claim, StopKind kind, string reason)
    {
        logger.LogInformation("Phase {Phase} stopping: {Kind} ({Reason})", claim.PhaseId, kind, reason);
        // With the lease lost, the running attempt row may be the new holder's: leave it alone.
        if (kind != StopKind.LeaseLost) await SafeAsync(() => AbandonRunningAttemptAsync(claim));
        switch (kind)
        {
            case StopKind.Cancelled:
                await SafeAsync(() => FinishPhaseAsync(claim, PhaseState.Failed, ReasonCodes.Cancelled, null, reason, CancellationToken.None));
                break;
            case StopKind.KillSwitch:
                await SafeAsync(async () =>
                {
                    await using var db = dbFactory.Create();
                    await claimer.ReleaseAsync(db, claim, ReasonCodes.KillSwitch, reason, CancellationToken.None);
                    await db.Phases.Where(p => p.Id == claim.PhaseRowId && p.State == PhaseState.Queued)
                        .ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, "waiting: " + reason));
                });
                break;
            case StopKind.Shutdown:
                await SafeAsync(async () => { await using var db = dbFactory.Create(); await claimer.ReleaseAsync(db, claim, ReasonCodes.Released, reason, CancellationToken.None); });
                break;
            case StopKind.LeaseLost:
                break; // someone else owns it now
        }
    }

    // ---- database steps (each one transaction with its event) ----

    private async Task<(Run Run, Phase Phase)> LoadAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        var phase = await db.Phases.AsNoTracking().SingleAsync(p => p.Id == claim.PhaseRowId, ct);
        if (phase.ClaimedBy != claim.WorkerId || !PhaseClaimer.InFlight.Contains(phase.State))
            throw new PhaseStopException(StopKind.LeaseLost, "the phase is no longer held by this executor");
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == claim.RunId, ct);
        if (run.State == RunState.Cancelled) throw new PhaseStopException(StopKind.Cancelled, "run cancelled");
        return (run, phase);
    }

    private async Task<string?> LastFailureAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        var last = await db.PhaseAttempts.AsNoTracking()
            .Where(a => a.RunId == claim.RunId && a.PhaseId == claim.PhaseId && a.Outcome == "FAILED")
            .OrderByDescending(a => a.Number).FirstOrDefaultAsync(ct);
        return last is null ? null
            : $"{last.FailureReason}: {(last.FailureReason == ReasonCodes.AuditorRejected ? last.AuditorNotes : last.TestOutput)}";
    }

    private async Task<int> StartAttemptAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
        phase.Attempts++;
        phase.UpdatedAt = time.GetUtcNow().UtcDateTime;
        db.PhaseAttempts.Add(new PhaseAttempt { RunId = claim.RunId, PhaseId = claim.PhaseId, Number = phase.Attempts, StartedAt = phase.UpdatedAt });
        var payload = new { run_id = claim.RunId, phase_id = claim.PhaseId, number = phase.Attempts, outcome = "RUNNING", executor = claim.WorkerId };
        await RunEventWriter.AppendAsync(db, claim.RunId, EventTypes.PhaseAttempt, payload, claim.PhaseId, ct);
        OutboxWriter.Publish(db, EventTypes.PhaseAttempt, payload, claim.RunId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return phase.Attempts;
    }

    private async Task SetAttemptModelAsync(ClaimedPhase claim, int number, string model, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await db.PhaseAttempts.Where(a => a.RunId == claim.RunId && a.PhaseId == claim.PhaseId && a.Number == number)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Model, model), ct);
    }

    private async Task RecordAttemptAsync(ClaimedPhase claim, int number, AttemptOutcome o, string outcome, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var attempt = await db.PhaseAttempts.SingleAsync(a => a.RunId == claim.RunId && a.PhaseId == claim.PhaseId && a.Number == number, ct);
        var usageRows = await db.LlmUsageEvents.AsNoTracking().Where(u => u.RunId == claim.RunId && u.PhaseId == claim.PhaseId && u.CreatedAt >= attempt.StartedAt)
            .Select(u => new { u.PromptTokens, u.CompletionTokens }).ToListAsync(ct);
        attempt.Outcome = outcome;
        attempt.FailureReason = o.Reason;
        attempt.Diff = o.Diff;
        // Failures keep what the model is told next time: the test log, or the parser's / git's / the gate's message.
        attempt.TestOutput = string.IsNullOrEmpty(o.TestOutput) && !o.Succeeded ? o.Feedback : o.TestOutput;
        attempt.TestExitCode = o.TestExitCode;
        attempt.AuditorVerdict = o.Verdict;
        attempt.AuditorNotes = o.AuditorNotes;
        attempt.PromptTokens = usageRows.Sum(u => u.PromptTokens);
        attempt.CompletionTokens = usageRows.Sum(u => u.CompletionTokens);
        attempt.CompletedAt = time.GetUtcNow().UtcDateTime;
        var payload = new
        {
            run_id = claim.RunId, phase_id = claim.PhaseId, number, outcome, failure_reason = o.Reason, model = attempt.Model,
            auditor_verdict = o.Verdict, prompt_tokens = attempt.PromptTokens, completion_tokens = attempt.CompletionTokens,
        };
        await RunEventWriter.AppendAsync(db, claim.RunId, EventTypes.PhaseAttempt, payload, claim.PhaseId, ct);
        OutboxWriter.Publish(db, EventTypes.PhaseAttempt, payload, claim.RunId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task AbandonRunningAttemptAsync(ClaimedPhase claim)
    {
        await using var db = dbFactory.Create();
        await db.PhaseAttempts.Where(a => a.RunId == claim.RunId && a.PhaseId == claim.PhaseId && a.Outcome == "RUNNING")
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Outcome, "ABANDONED").SetProperty(a => a.CompletedAt, DateTime.UtcNow));
    }

    private async Task MoveAsync(ClaimedPhase claim, PhaseState next, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
        if (phase.ClaimedBy != claim.WorkerId || !PhaseClaimer.InFlight.Contains(phase.State))
            throw new PhaseStopException(StopKind.LeaseLost, "the phase is no longer held by this executor");
        if (phase.State == next) return;
        await StateChanges.MovePhaseAsync(db, phase, next, time.GetUtcNow().UtcDateTime, ct: ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task BackToExecutingAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        var state = await db.Phases.Where(p => p.Id == claim.PhaseRowId).Select(p => p.State).SingleAsync(ct);
        if (state == PhaseState.Gate) await MoveAsync(claim, PhaseState.Executing, ct);
    }

    /// <summary>COMPLETE (with the commit sha, in the same transaction) or FAILED, then the run rollup.</summary>
    private async Task FinishPhaseAsync(ClaimedPhase claim, PhaseState final, string? reason, string? sha, string note, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        await db.Runs.Where(r => r.Id == claim.RunId).ExecuteUpdateAsync(s => s.SetProperty(r => r.UpdatedAt, now), ct);
        var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
        if (phase.ClaimedBy != claim.WorkerId || !PhaseClaimer.InFlight.Contains(phase.State))
        {
            logger.LogWarning("Phase {Phase} is no longer ours ({State}); not recording {Final}", claim.PhaseId, phase.State, final);
            return;
        }
        if (final == PhaseState.Complete) phase.CommitSha = sha;
        phase.StatusReason = null;
        await StateChanges.MovePhaseAsync(db, phase, final, now, reason, note, ct);
        var run = await db.Runs.SingleAsync(r => r.Id == claim.RunId, ct);
        await db.SaveChangesAsync(ct);
        await RunRollup.ApplyAsync(db, run, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Phase {Phase} {State} {Reason} {Sha}", claim.PhaseId, EnumNames.ToWire(final), reason, sha);
    }

    private async Task SafeAsync(Func<Task> action)
    {
        try { await action(); }
        catch (Exception ex) { logger.LogWarning("Cleanup step failed: {Error}", ex.Message); }
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    /// <summary>Why the attempt was stopped from outside (set by the watcher before it cancels).</summary>
    private sealed class PhaseWatch
    {
        public StopKind? Stop { get; private set; }
        public string? StopReason { get; private set; }
        public Stopwatch? Clock { get; set; }
        public void Signal(StopKind kind, string reason) { StopReason = reason; Stop = kind; }
    }
}

/// <summary>A budget ran out before a model call (phase token cap, wall clock, run duration): the phase fails with the reason.</summary>
public sealed class BudgetStopException(string reason, string note) : Exception(note)
{
    public string Reason { get; } = reason;
}
