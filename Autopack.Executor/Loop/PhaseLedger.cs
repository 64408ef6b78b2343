using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>
/// A started attempt: its row number (continues after every earlier row), the attempts counted in this round, and the
/// builder answer kept from the stopped attempt before it, if any.
/// </summary>
public sealed record AttemptStart(int Number, int Counted, KeptAnswer? Kept = null);

/// <summary>A builder answer kept from a stopped attempt, reused when the phase resumes instead of paying for it again.</summary>
public sealed record KeptAnswer(int FromAttempt, string Model, string Diff);

/// <summary>
/// The database steps of one claimed phase, each one transaction with its run event and outbox messages, each
/// behind the same check that this executor still holds the phase.
/// </summary>
public sealed class PhaseLedger(IAutopackDbFactory dbFactory, ExecutorOptions options, TimeProvider time, ILogger<PhaseLedger> logger)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// A context whose transactions take no savepoint around SaveChanges: a failed step reruns its whole transaction
    /// (<see cref="TransactionExtensions"/>), never continues after a rollback to a savepoint, so the two extra round
    /// trips per transaction buy nothing.
    /// </summary>
    internal static AutopackDbContext WithoutSavepoints(AutopackDbContext db)
    {
        db.Database.AutoSavepointsEnabled = false;
        return db;
    }

    private AutopackDbContext Open() => WithoutSavepoints(dbFactory.Create());

    private static bool IsHeld(Phase phase, ClaimedPhase claim) =>
        phase.ClaimedBy == claim.WorkerId && PhaseClaimer.InFlight.Contains(phase.State);

    private static void EnsureHeld(Phase phase, ClaimedPhase claim)
    {
        if (!IsHeld(phase, claim)) throw new PhaseStopException(StopKind.LeaseLost, "the phase is no longer held by this executor");
    }

    public async Task<(Run Run, Phase Phase)> LoadAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = Open();
        // One round trip for both: this runs before every attempt and every model call.
        var loaded = await (from p in db.Phases.AsNoTracking()
                            join r in db.Runs.AsNoTracking() on p.RunId equals r.Id
                            where p.Id == claim.PhaseRowId
                            select new { Phase = p, Run = r }).SingleAsync(ct);
        EnsureHeld(loaded.Phase, claim);
        if (loaded.Run.State == RunState.Cancelled) throw new PhaseStopException(StopKind.Cancelled, "run cancelled");
        return (loaded.Run, loaded.Phase);
    }

    /// <summary>The run's branch, named once its workspace exists.</summary>
    public async Task RecordBranchAsync(string runId, string branch, CancellationToken ct)
    {
        await using var db = Open();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Branch, branch), ct);
    }

    /// <summary>The run ended FAILED or CANCELLED and none of its phases is in flight: its housekeeping may run.</summary>
    public async Task<bool> RunEndedWithNothingInFlightAsync(ClaimedPhase claim)
    {
        await using var db = Open();
        var state = await db.Runs.Where(r => r.Id == claim.RunId).Select(r => r.State).SingleAsync();
        if (state is not (RunState.Failed or RunState.Cancelled)) return false;
        return !await db.Phases.AnyAsync(p => p.RunId == claim.RunId && PhaseClaimer.InFlight.Contains(p.State));
    }

    public async Task<string?> LastFailureAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = Open();
        var last = await Attempts(db, claim).Where(a => a.Outcome == AttemptStatus.Failed).OrderByDescending(a => a.Number).FirstOrDefaultAsync(ct);
        return last is null ? null
            : $"{last.FailureReason}: {(last.FailureReason == ReasonCodes.AuditorRejected ? last.AuditorNotes : last.TestOutput)}";
    }

    /// <summary>
    /// Counts the attempt and adds its row. Row numbers continue after every earlier row (an operator retry resets
    /// the count for a fresh round, never the numbering), so they never collide with the unique index. The latest
    /// earlier row also tells whether a stop interrupted it after the builder had answered: that answer is kept.
    /// </summary>
    public async Task<AttemptStart> StartAttemptAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = Open();
        // A lost commit acknowledgement is recognised by the attempt event: a rerun would count the attempt twice.
        return await db.RunInTransactionAsync(async () =>
        {
            // Counted with a conditional update: a requeue of an expired lease racing this one wins or waits, never both.
            var now = Now;
            var counted = await db.Phases
                .Where(p => p.Id == claim.PhaseRowId && p.ClaimedBy == claim.WorkerId && PhaseClaimer.InFlight.Contains(p.State))
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Attempts, p => p.Attempts + 1).SetProperty(p => p.UpdatedAt, now), ct);
            if (counted != 1) throw new PhaseStopException(StopKind.LeaseLost, "the phase is no longer held by this executor");
            var phase = await db.Phases.AsNoTracking().SingleAsync(p => p.Id == claim.PhaseRowId, ct);
            var last = await Attempts(db, claim).OrderByDescending(a => a.Number)
                .Select(a => new { a.Number, a.Outcome, a.Model, a.Diff }).FirstOrDefaultAsync(ct);
            var number = (last?.Number ?? 0) + 1;
            var kept = last is { Outcome: AttemptStatus.Stopped, Diff: not null, Model: not null } ? new KeptAnswer(last.Number, last.Model, last.Diff) : null;
            db.PhaseAttempts.Add(new PhaseAttempt { RunId = claim.RunId, PhaseId = claim.PhaseId, Number = number, StartedAt = now });
            var payload = new { run_id = claim.RunId, phase_id = claim.PhaseId, number, outcome = AttemptStatus.Running, executor = claim.WorkerId };
            await RunEventWriter.AppendAsync(db, claim.RunId, EventTypes.PhaseAttempt, payload, claim.PhaseId, ct);
            OutboxWriter.Publish(db, EventTypes.PhaseAttempt, payload, claim.RunId);
            return new AttemptStart(number, phase.Attempts, kept);
        }, ct);
    }

    /// <summary>The builder's model and, once parsed, its diff: kept on the row so a stop does not throw the paid answer away.</summary>
    public async Task RecordBuilderAnswerAsync(ClaimedPhase claim, int number, string model, string? diff, CancellationToken ct)
    {
        await using var db = Open();
        await Attempts(db, claim).Where(a => a.Number == number)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Model, model).SetProperty(a => a.Diff, diff), ct);
    }

    /// <summary>An attempt outcome (SUCCEEDED or FAILED); it also ends any run of executor errors.</summary>
    public async Task RecordAttemptAsync(ClaimedPhase claim, int number, AttemptOutcome o, CancellationToken ct)
    {
        var outcome = o.Succeeded ? AttemptStatus.Succeeded : AttemptStatus.Failed;
        await using var db = Open();
        await db.RunInTransactionAsync(async () =>
        {
            var attempt = await Attempts(db, claim).AsTracking().SingleAsync(a => a.Number == number, ct);
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
            attempt.CompletedAt = Now;
            await db.Phases.Where(p => p.Id == claim.PhaseRowId)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.ErrorReleases, 0).SetProperty(p => p.NotBefore, (DateTime?)null), ct);
            var payload = new
            {
                run_id = claim.RunId, phase_id = claim.PhaseId, number, outcome, failure_reason = o.Reason, model = attempt.Model,
                auditor_verdict = o.Verdict, prompt_tokens = attempt.PromptTokens, completion_tokens = attempt.CompletionTokens,
            };
            await RunEventWriter.AppendAsync(db, claim.RunId, EventTypes.PhaseAttempt, payload, claim.PhaseId, ct);
            OutboxWriter.Publish(db, EventTypes.PhaseAttempt, payload, claim.RunId);
        }, ct);
    }

    /// <summary>The test command's result as a <c>phase.tests</c> run event (live stream only; the attempt row keeps the full log).</summary>
    public async Task RecordTestsAsync(ClaimedPhase claim, int number, Testing.TestResult tests, CancellationToken ct)
    {
        await using var db = Open();
        await db.RunInTransactionAsync(async () =>
        {
            await RunEventWriter.AppendAsync(db, claim.RunId, EventTypes.PhaseTests, new
            {
                run_id = claim.RunId, phase_id = claim.PhaseId, attempt = number, passed = tests.Passed, exit_code = tests.ExitCode,
                timed_out = tests.TimedOut, duration_ms = (long)tests.Duration.TotalMilliseconds, output_tail = tests.Tail(20, 2_000),
                network = tests.Network,
            }, claim.PhaseId, ct);
        }, ct);
    }

    public async Task SetStatusReasonAsync(ClaimedPhase claim, string? reason, CancellationToken ct)
    {
        await using var db = Open();
        await db.Phases.Where(p => p.Id == claim.PhaseRowId).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, reason), ct);
    }

    public async Task MoveAsync(ClaimedPhase claim, PhaseState next, CancellationToken ct)
    {
        await using var db = Open();
        await db.RunInTransactionAsync(async () =>
        {
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
            EnsureHeld(phase, claim);
            if (phase.State == next) return;
            await StateChanges.MovePhaseAsync(db, phase, next, Now, ct: ct);
        }, ct);
    }

    /// <summary>After a failed attempt: a phase the auditor had moved to GATE goes back to EXECUTING (one transaction).</summary>
    public async Task BackToExecutingAsync(ClaimedPhase claim, CancellationToken ct)
    {
        await using var db = Open();
        await db.RunInTransactionAsync(async () =>
        {
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
            if (phase.State != PhaseState.Gate) return;
            EnsureHeld(phase, claim);
            await StateChanges.MovePhaseAsync(db, phase, PhaseState.Executing, Now, ct: ct);
        }, ct);
    }

    /// <summary>COMPLETE (with the commit sha, in the same transaction) or FAILED, then the run rollup. Returns the run's state after it.</summary>
    public async Task<RunState?> FinishAsync(ClaimedPhase claim, PhaseState final, string? reason, string? sha, string note, CancellationToken ct)
    {
        await using var db = Open();
        var outcome = await db.RunInTransactionAsync<(bool Held, PhaseState Phase, RunState? Run)>(async () =>
        {
            await db.Runs.Where(r => r.Id == claim.RunId).ExecuteUpdateAsync(s => s.SetProperty(r => r.UpdatedAt, Now), ct);
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId, ct);
            if (!IsHeld(phase, claim)) return (false, phase.State, null);
            if (final == PhaseState.Complete) phase.CommitSha = sha;
            phase.StatusReason = null;
            phase.NotBefore = null;
            await StateChanges.MovePhaseAsync(db, phase, final, Now, reason, note, ct);
            var run = await db.Runs.SingleAsync(r => r.Id == claim.RunId, ct);
            await db.SaveChangesAsync(ct);
            await RunRollup.ApplyAsync(db, run, Now, ct);
            return (true, phase.State, run.State);
        }, ct);
        if (!outcome.Held)
        {
            logger.LogWarning("Phase {Phase} is no longer ours ({State}); not recording {Final}", claim.PhaseId, outcome.Phase, final);
            return null;
        }
        logger.LogInformation("Phase {Phase} {State} {Reason} {Sha}", claim.PhaseId, EnumNames.ToWire(final), reason, sha);
        return outcome.Run;
    }

    /// <summary>
    /// A stop (kill switch, shutdown): the running attempt becomes STOPPED and is not counted, so the next attempt uses
    /// the same escalation rung and a stop on the last attempt cannot fail the phase. Back to QUEUED (through FAILED, the
    /// transition table's only way back) with <paramref name="waiting"/> as the status reason.
    /// </summary>
    public async Task ReleaseForStopAsync(ClaimedPhase claim, string reason, string note, string? waiting)
    {
        await using var db = Open();
        await db.RunInTransactionAsync(async () =>
        {
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId);
            if (!IsHeld(phase, claim)) return;
            await UncountRunningAttemptAsync(db, claim, phase, reason);
            await StateChanges.MovePhaseAsync(db, phase, PhaseState.Failed, Now, reason, note);
            var run = await db.Runs.SingleAsync(r => r.Id == claim.RunId);
            if (!run.State.IsFinished())
            {
                await StateChanges.MovePhaseAsync(db, phase, PhaseState.Queued, Now, note: note);
                phase.StatusReason = waiting;
            }
        });
    }

    /// <summary>A cancelled run: the phase fails with CANCELLED; the interrupted attempt is STOPPED.</summary>
    public async Task<RunState?> FinishCancelledAsync(ClaimedPhase claim, string note)
    {
        await using (var db = Open())
        {
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId);
            if (IsHeld(phase, claim)) await UncountRunningAttemptAsync(db, claim, phase, ReasonCodes.Cancelled);
            await db.SaveChangesAsync();
        }
        return await FinishAsync(claim, PhaseState.Failed, ReasonCodes.Cancelled, null, note, CancellationToken.None);
    }

    /// <summary>
    /// An executor error (no attempt outcome): requeued with exponential, jittered backoff (<c>not_before</c>, said in
    /// <c>status_reason</c>); after <see cref="ExecutorOptions.MaxErrorReleases"/> of them in a row the phase fails
    /// with EXECUTOR_ERROR and the last error, so no error can loop.
    /// </summary>
    public async Task ReleaseAfterErrorAsync(ClaimedPhase claim, string error)
    {
        await using var db = Open();
        // The error log waits for the commit: a rerun would otherwise log a give-up twice, or one that never happened.
        var gaveUpAfter = await db.RunInTransactionAsync<int?>(async () =>
        {
            var phase = await db.Phases.SingleAsync(p => p.Id == claim.PhaseRowId);
            if (!IsHeld(phase, claim)) return null;
            await UncountRunningAttemptAsync(db, claim, phase, ReasonCodes.ExecutorError);
            phase.ErrorReleases++;
            var now = Now;
            var run = await db.Runs.SingleAsync(r => r.Id == claim.RunId);
            if (phase.ErrorReleases >= options.MaxErrorReleases)
            {
                phase.StatusReason = null;
                phase.NotBefore = null;
                await StateChanges.MovePhaseAsync(db, phase, PhaseState.Failed, now, ReasonCodes.ExecutorError,
                    $"executor error {phase.ErrorReleases} of {options.MaxErrorReleases}, giving up: {error}");
                await db.SaveChangesAsync();
                await RunRollup.ApplyAsync(db, run, now);
                return phase.ErrorReleases;
            }
            else
            {
                var notBefore = now + options.ErrorBackoff.DelayAfter(phase.ErrorReleases);
                var note = $"executor error {phase.ErrorReleases} of {options.MaxErrorReleases}: {error}";
                await StateChanges.MovePhaseAsync(db, phase, PhaseState.Failed, now, ReasonCodes.ExecutorError, note);
                if (!run.State.IsFinished())
                {
                    phase.NotBefore = notBefore;
                    phase.StatusReason = $"waiting until {notBefore:HH:mm:ss}Z after {note}";
                    await StateChanges.MovePhaseAsync(db, phase, PhaseState.Queued, now, note: note);
                }
            }
            return null;
        });
        if (gaveUpAfter is { } count)
            logger.LogError("Phase {Phase} failed after {Count} executor errors in a row: {Error}", claim.PhaseId, count, error);
    }

    /// <summary>The interrupted attempt keeps its row (and any model answer on it) as STOPPED, and stops counting.</summary>
    private async Task UncountRunningAttemptAsync(AutopackDbContext db, ClaimedPhase claim, Phase phase, string reason)
    {
        var stopped = await Attempts(db, claim).Where(a => a.Outcome == AttemptStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Outcome, AttemptStatus.Stopped).SetProperty(a => a.FailureReason, reason)
                .SetProperty(a => a.CompletedAt, Now));
        if (stopped > 0 && phase.Attempts > 0) phase.Attempts--;
    }

    private static IQueryable<PhaseAttempt> Attempts(AutopackDbContext db, ClaimedPhase claim) =>
        db.PhaseAttempts.AsNoTracking().Where(a => a.RunId == claim.RunId && a.PhaseId == claim.PhaseId);
}
