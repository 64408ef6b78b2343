namespace Autopack.Core.Domain;

/// <summary>Single-leader lease; Term grows by one on every change of holder (fencing token).</summary>
public class WorkerLease
{
    public required string Name { get; set; }
    public string? Holder { get; set; }
    public long Term { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime AcquiredAt { get; set; }
    public DateTime RenewedAt { get; set; }
}
