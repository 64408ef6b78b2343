using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Approvals;

/// <summary>
/// Requesting and deciding approvals, shared by the executor (requests), the API and the Telegram webhook
/// (decisions) and the expiry sweeper. Each call commits the approval change, its run event and its
/// outbox messages in one transaction. Undecided approvals fail closed: expiry means reject.
/// </summary>
public static class ApprovalWorkflow
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(15);

    /// <remarks>A lost commit acknowledgement is recognised by the run event, so a retry cannot add a second approval.</remarks>
    public static Task<ApprovalRequest> RequestAsync(AutopackDbContext db, string runId, string? phaseId, ApprovalKind kind,
        string reason, string? diff, TimeSpan? ttl = null, CancellationToken ct = default) => db.RunInTransactionAsync(async () =>
    {
        var now = db.UtcNow;
        var approval = new ApprovalRequest
        {
            Id = ApprovalRequest.NewId(),
            RunId = runId,
            PhaseId = phaseId,
            Kind = kind,
            Reason = reason,
            Diff = diff,
            CreatedAt = now,
            ExpiresAt = now + (ttl ?? DefaultTtl),
        };
        db.Approvals.Add(approval);
        var payload = Describe(approval);
        await RunEventWriter.AppendAsync(db, runId, EventTypes.ApprovalRequested, payload, phaseId, ct);
        OutboxWriter.Publish(db, EventTypes.ApprovalRequested, payload, runId);
        return approval;
    }, ct);

    /// <summary>
    /// Approves or rejects a pending approval. Only one decision wins: the update is conditional on
    /// status PENDING, so a dashboard click racing a Telegram button (or the sweeper) cannot both apply; for the same reason a
    /// rerun after a failure cannot decide twice (and a lost commit acknowledgement is recognised by the run event).
    /// </summary>
    public static Task<ApprovalDecisionResult> DecideAsync(AutopackDbContext db, string approvalId, bool approve,
        string decidedBy, string source, string? comment = null, CancellationToken ct = default) => db.RunInTransactionAsync(async () =>
    {
        var approval = await db.Approvals.AsNoTracking().SingleOrDefaultAsync(a => a.Id == approvalId, ct);
        if (approval is null) return new ApprovalDecisionResult(ApprovalDecisionOutcome.NotFound, null);
        var now = db.UtcNow;
        var status = approve ? ApprovalStatus.Approved : ApprovalStatus.Rejected;
        var (by, from) = (decidedBy, source);
        if (approval.Status == ApprovalStatus.Pending && approval.ExpiresAt <= now)
        {
            // Past its deadline it can no longer be approved, even if the sweeper has not run yet.
            status = ApprovalStatus.Expired;
            (by, from) = ("sweeper", "sweeper");
        }
        var changed = await db.Approvals
            .Where(a => a.Id == approvalId && a.Status == ApprovalStatus.Pending)
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, status)
                .SetProperty(a => a.DecidedBy, by)
                .SetProperty(a => a.DecisionSource, from)
                .SetProperty(a => a.Comment, comment)
                .SetProperty(a => a.DecidedAt, now), ct);
        if (changed == 0)
        {
            return new ApprovalDecisionResult(ApprovalDecisionOutcome.AlreadyDecided, approval);
        }
        var decided = await db.Approvals.AsNoTracking().SingleAsync(a => a.Id == approvalId, ct);
        var payload = Describe(decided);
        await RunEventWriter.AppendAsync(db, decided.RunId, EventTypes.ApprovalDecided, payload, decided.PhaseId, ct);
        OutboxWriter.Publish(db, EventTypes.ApprovalDecided, payload, decided.RunId);
        return new ApprovalDecisionResult(status == ApprovalStatus.Expired ? ApprovalDecisionOutcome.Expired : ApprovalDecisionOutcome.Decided, decided);
    }, ct);

    /// <summary>Expires every pending approval past its deadline (default decision: reject). Returns how many.</summary>
    public static async Task<int> ExpireDueAsync(AutopackDbContext db, CancellationToken ct = default)
    {
        var now = db.UtcNow;
        var due = await db.Approvals.AsNoTracking()
            .Where(a => a.Status == ApprovalStatus.Pending && a.ExpiresAt <= now)
            .Select(a => a.Id).Take(100).ToListAsync(ct);
        var expired = 0;
        foreach (var id in due)
        {
            var result = await DecideAsync(db, id, approve: false, "sweeper", "sweeper", "expired", ct);
            if (result.Outcome == ApprovalDecisionOutcome.Expired) expired++;
        }
        return expired;
    }

    public static object Describe(ApprovalRequest a) => new
    {
        approval_id = a.Id,
        run_id = a.RunId,
        phase_id = a.PhaseId,
        kind = EnumNames.ToWire(a.Kind),
        reason = a.Reason,
        status = EnumNames.ToWire(a.Status),
        decided_by = a.DecidedBy,
        decision_source = a.DecisionSource,
        created_at = a.CreatedAt,
        expires_at = a.ExpiresAt,
        decided_at = a.DecidedAt,
    };
}

public enum ApprovalDecisionOutcome { Decided, Expired, AlreadyDecided, NotFound }

public sealed record ApprovalDecisionResult(ApprovalDecisionOutcome Outcome, ApprovalRequest? Approval);
