namespace Autopack.Core.Domain;

public class ApprovalRequest
{
    /// <summary>Globally unique ("apr_" + 24 hex), so ids never collide across runs.</summary>
    public required string Id { get; set; }
    public required string RunId { get; set; }
    public string? PhaseId { get; set; }
    public ApprovalKind Kind { get; set; } = ApprovalKind.Manual;
    public string Reason { get; set; } = "";
    public string? Diff { get; set; }
    public ApprovalStatus Status { get; set; } = ApprovalStatus.Pending;
    public string? DecidedBy { get; set; }
    /// <summary>dashboard, api, telegram or sweeper.</summary>
    public string? DecisionSource { get; set; }
    public string? Comment { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime ExpiresAt { get; set; }
    public DateTime? DecidedAt { get; set; }

    public static string NewId() => "apr_" + Guid.NewGuid().ToString("N")[..24];
}

public enum ApprovalKind { ScopeViolation, LargeDeletion, AuditorEscalate, Manual }

public enum ApprovalStatus { Pending, Approved, Rejected, Expired }
