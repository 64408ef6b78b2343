using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>
/// A human decision inside an attempt (scope violation, large deletion, auditor escalation): the request goes out with
/// its event and outbox messages, the phase says what it waits for, and the phase wall clock stops while it waits.
/// </summary>
public sealed class ApprovalGate(IAutopackDbFactory dbFactory, ExecutorOptions options, TimeProvider time, ILogger<ApprovalGate> logger)
{
    /// <summary>Creates the approval (with its event and outbox message) and waits for a decision; expiry or reject = false (fail closed).</summary>
    public async Task<bool> AwaitAsync(ClaimedPhase claim, ApprovalKind kind, string reason, string diff, PhaseClock clock,
        CancellationToken ct)
    {
        ApprovalRequest approval;
        await using (var db = dbFactory.Create())
        {
            approval = await ApprovalWorkflow.RequestAsync(db, claim.RunId, claim.PhaseId, kind, reason, diff, options.ApprovalTtl, ct);
            await db.Phases.Where(p => p.Id == claim.PhaseRowId)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, $"waiting for approval {approval.Id}: {(reason.Length <= 300 ? reason : reason[..300] + "…")}"), ct);
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
}
