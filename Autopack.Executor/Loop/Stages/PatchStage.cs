using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Patching;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// Scope governance, then <c>git apply</c> in the worktree: protected paths are never edited; paths outside the scope
/// or a large deletion wait for a human; the kill switches are read before every apply. Returns the failure, or null
/// when the patch is applied.
/// </summary>
public sealed class PatchStage(ExecutorOptions options, ApprovalGate approvals, PhaseGuards guards)
{
    private readonly ScopeGovernor _governor = new(options.ProtectedPaths, options.DeletionApprovalLines);

    public async Task<AttemptOutcome?> ApplyAsync(AttemptContext a, BuiltPatch patch, CancellationToken ct)
    {
        var diff = patch.Diff;
        var decision = _governor.Evaluate(diff, a.Phase.ScopePaths);
        if (decision.Verdict == ScopeVerdict.Forbidden)
            return AttemptOutcome.Fail(ReasonCodes.PatchFailed, decision.Reason + " Those paths are never edited.") with { Diff = diff.Text };
        if (decision.Verdict == ScopeVerdict.NeedsApproval)
        {
            var kind = decision.LargeDeletion ? ApprovalKind.LargeDeletion : ApprovalKind.ScopeViolation;
            if (!await approvals.AwaitAsync(a.Claim, kind, decision.Reason, diff.Text, a.Clock, ct))
                return AttemptOutcome.Fail(ReasonCodes.ApprovalRejected, $"{decision.Reason} A human rejected it (or it expired).", terminal: true)
                    with { Diff = diff.Text };
        }

        await guards.EnsureNoKillSwitchAsync(ct); // before every apply
        try { await PatchApplier.ApplyAsync(a.Worktree.Path, diff, ct); }
        catch (PatchApplyException ex) { return AttemptOutcome.Fail(ReasonCodes.PatchFailed, ex.Message) with { Diff = diff.Text }; }
        return null;
    }
}
