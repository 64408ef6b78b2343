using Autopack.Core.Domain;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// The quality gate's last step: tests passed (or none) and the auditor approved (or a human did) already; the diff
/// must change something, the kill switches are read once more, then one commit lands on the run branch.
/// </summary>
public sealed class LandingStage(PhaseGuards guards)
{
    public async Task<AttemptOutcome> LandAsync(AttemptContext a, BuiltPatch patch, AttemptOutcome withResults, CancellationToken ct)
    {
        var (claim, phase) = (a.Claim, a.Phase);
        if ((await a.Worktree.DiffAsync()).Length == 0)
            return withResults with { Reason = ReasonCodes.PatchFailed, Feedback = "The patch changed nothing." };
        await guards.EnsureNoKillSwitchAsync(ct);
        var sha = await a.Worktree.CommitAndLandAsync(claim.RunId, claim.PhaseId, $"{phase.PhaseId}: {phase.Name}",
            $"{phase.Description}\n\nAutopack run {claim.RunId}, attempt {a.Attempt.Number}, model {patch.Model}.", ct);
        return withResults with { Succeeded = true, CommitSha = sha };
    }
}
