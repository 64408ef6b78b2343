using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Autopack.Executor.Loop.Stages;
using Autopack.Executor.Memory;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Workspace;

namespace Autopack.Executor.Loop;

/// <summary>
/// Works one claimed phase to the end: gets the run's workspace ready, then loops guards → attempt
/// (<see cref="AttemptPipeline"/>) → verdict (<see cref="AttemptPolicy"/>) until the phase completes or fails, and
/// turns a stop into the right end (<see cref="StopAsync"/>). All state lives in the database (<see cref="PhaseLedger"/>),
/// so another executor can pick the phase up after a crash.
/// </summary>
public sealed class PhaseRunner(LeaseWatcher leases, PhaseLedger ledger, PhaseGuards guards, AttemptPipeline pipeline, ExecutorOptions options,
    PhaseMemory memory, TimeProvider time, CommandSandbox sandbox, ILogger<PhaseRunner> logger)
{
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
            if (!string.IsNullOrWhiteSpace(phase.TestCommand) && sandbox.NetworkRefusal(phase.SandboxNetwork) is { } networkRefusal)
            {
                await ledger.FinishAsync(claim, PhaseState.Failed, ReasonCodes.SandboxNetworkDenied, null, networkRefusal, work.Token);
                return;
            }
            workspace = new RunWorkspace(repo!, options.WorktreeRoot, run.Id);
            await workspace.EnsureBranchAsync();
            if (run.Branch != workspace.Branch) await ledger.RecordBranchAsync(run.Id, workspace.Branch, work.Token);
            // A crash between landing the commit and recording it: the branch already has it, so do not redo it.
            if (await workspace.FindPhaseCommitAsync(run.Id, phase.PhaseId) is { } landed)
            {
                logger.LogInformation("Phase {Phase} already has commit {Sha} on {Branch}; recording it", phase.PhaseId, landed, workspace.Branch);
                await ledger.FinishAsync(claim, PhaseState.Complete, null, landed, "commit found on the run branch after a restart", work.Token);
                return;
            }

            var feedback = await ledger.LastFailureAsync(claim, work.Token);
            var clock = new PhaseClock(time);
            // The first attempt works from the load above (nothing has changed since); every later one reads afresh.
            var firstAttempt = true;
            while (true)
            {
                if (!firstAttempt) (run, phase) = await ledger.LoadAsync(claim, work.Token);
                firstAttempt = false;
                if (AttemptPolicy.RoundSpent(phase.Attempts, phase.MaxAttempts) is { } spent)
                {
                    await ledger.FinishAsync(claim, PhaseState.Failed, spent.Reason, null, spent.Note, work.Token);
                    return;
                }
                var blocked = await guards.CheckBudgetsAsync(run, phase, clock, work.Token);
                if (blocked is not null)
                {
                    await ledger.FinishAsync(claim, PhaseState.Failed, blocked.Reason, null, blocked.Note, work.Token);
                    return;
                }
                await guards.EnsureNoKillSwitchAsync(work.Token);
                var attempt = await ledger.StartAttemptAsync(claim, work.Token);
                worktree = await workspace.PrepareAsync(phase.PhaseId);
                AttemptOutcome outcome;
                try
                {
                    var step = pipeline.BuilderStep(attempt, phase);
                    outcome = await pipeline.RunAsync(new AttemptContext(claim, phase, attempt, step, attempt.Kept, worktree, feedback, clock), work.Token);
                }
                catch (BudgetStopException ex)
                {
                    outcome = AttemptOutcome.Fail(ex.Reason, ex.Message, terminal: true);
                }
                await ledger.RecordAttemptAsync(claim, attempt.Number, outcome, work.Token);
                switch (AttemptPolicy.Decide(outcome, attempt, phase.MaxAttempts))
                {
                    case PhaseVerdict.Complete complete:
                        await ledger.FinishAsync(claim, PhaseState.Complete, null, complete.CommitSha, complete.Note, work.Token);
                        await memory.RememberAsync("summary", PhaseMemoryNotes.Summary(phase), run.Id, phase.PhaseId, CancellationToken.None);
                        if (!string.IsNullOrEmpty(feedback))
                            await memory.RememberAsync("fix", PhaseMemoryNotes.Fix(feedback, outcome), run.Id, phase.PhaseId, CancellationToken.None);
                        return;
                    case PhaseVerdict.Fail fail:
                        await memory.RememberAsync("error", PhaseMemoryNotes.Error(phase, outcome), run.Id, phase.PhaseId, CancellationToken.None);
                        await ledger.FinishAsync(claim, PhaseState.Failed, fail.Reason, null, fail.Note, work.Token);
                        return;
                    case PhaseVerdict.Retry retry:
                        await memory.RememberAsync("error", PhaseMemoryNotes.Error(phase, outcome), run.Id, phase.PhaseId, CancellationToken.None);
                        await ledger.BackToExecutingAsync(claim, work.Token);
                        // The worktree stays: the next attempt's PrepareAsync resets and cleans it; it is removed once, below.
                        feedback = retry.Feedback;
                        break;
                }
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
            if (!await ledger.RunEndedWithNothingInFlightAsync(claim)) return;
            if (await workspace.RemoveIfEmptyAsync())
                logger.LogInformation("Run {Run} ended without commits: removed {Branch} and its worktree folder", claim.RunId, workspace.Branch);
        });
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
}
