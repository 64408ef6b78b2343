using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Execution;

/// <summary>
/// Derives the run's state from its phases after a phase finishes (inside the caller's transaction).
/// COMPLETE when every phase is COMPLETE or SKIPPED; FAILED as soon as a phase has failed for good. The
/// remaining phases are NOT skipped: they stay QUEUED (with a status reason), so an operator retry of the
/// failed phase can carry the run on from where it stopped.
/// </summary>
public static class RunRollup
{
    public static async Task ApplyAsync(AutopackDbContext db, Run run, DateTime now, CancellationToken ct = default)
    {
        if (run.State.IsFinished()) return;
        var phases = await db.Phases.Where(p => p.RunId == run.Id).ToListAsync(ct);
        var failed = phases.FirstOrDefault(p => p.State == PhaseState.Failed);
        if (failed is not null)
        {
            var reason = $"phase {failed.PhaseId} failed: {failed.FailureReason}";
            foreach (var q in phases.Where(p => p.State == PhaseState.Queued)) q.StatusReason = "run failed: " + reason;
            await StateChanges.MoveRunAsync(db, run, RunState.Failed, now, reason, ct);
            return;
        }
        if (phases.All(p => p.State is PhaseState.Complete or PhaseState.Skipped))
            await StateChanges.MoveRunAsync(db, run, RunState.Complete, now, ct: ct);
    }
}
