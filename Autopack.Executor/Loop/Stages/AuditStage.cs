using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Models;
using Autopack.Executor.Prompts;
using Autopack.Executor.Testing;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// The phase moves to GATE and the auditor sees the diff and the test result. REJECT (or no verdict) fails the
/// attempt; ESCALATE asks a human. The value carries the attempt's results for the quality gate.
/// </summary>
public sealed class AuditStage(ExecutorOptions options, ModelRouter router, PromptBuilder prompts, PhaseGuards guards, ModelCaller models,
    UsageRecorder usage, ApprovalGate approvals, PhaseLedger ledger)
{
    public async Task<StageResult<AttemptOutcome>> RunAsync(AttemptContext a, BuiltPatch patch, TestResult? tests, CancellationToken ct)
    {
        var (claim, diff) = (a.Claim, patch.Diff);
        await ledger.MoveAsync(claim, PhaseState.Gate, ct);
        await guards.BeforeModelCallAsync(claim, a.Clock, ct);
        var audit = await models.CallAsync(claim, router.AuditorStep(a.Step), prompts.BuildAuditor(a.Phase, diff.Text, tests),
            new ChatOptions { MaxOutputTokens = options.MaxOutputTokens, Temperature = 0 }, a.Clock, ct);
        await usage.RecordAsync(claim.RunId, claim.PhaseId, "auditor", audit, CancellationToken.None);
        var verdict = AuditorVerdict.Parse(audit.Response.Text);
        var withResults = new AttemptOutcome(false, null, null, Diff: diff.Text, TestOutput: tests?.Output, TestExitCode: tests?.ExitCode,
            Verdict: verdict.Verdict.ToString().ToUpperInvariant(), AuditorNotes: verdict.Notes);
        if (verdict.Verdict == Verdict.Reject)
            return StageResult.Failed<AttemptOutcome>(withResults with
            {
                Reason = ReasonCodes.AuditorRejected, Feedback = "The auditor rejected the change: " + verdict.Notes,
            });
        if (verdict.Verdict == Verdict.Escalate
            && !await approvals.AwaitAsync(claim, ApprovalKind.AuditorEscalate, "The auditor escalated: " + AttemptPolicy.Clip(verdict.Notes, 500),
                diff.Text, a.Clock, ct))
            return StageResult.Failed<AttemptOutcome>(withResults with
            {
                Reason = ReasonCodes.ApprovalRejected, Feedback = "The auditor escalated and a human rejected it (or it expired).", Terminal = true,
            });
        return StageResult.Ok<AttemptOutcome>(withResults);
    }
}
