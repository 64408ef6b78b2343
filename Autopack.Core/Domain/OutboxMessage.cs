namespace Autopack.Core.Domain;

public class OutboxMessage
{
    /// <summary>Also the idempotency key sent with every delivery.</summary>
    public Guid Id { get; set; } = Guid.NewGuid();
    /// <summary>Event type, e.g. run.completed, approval.requested.</summary>
    public required string Type { get; set; }
    /// <summary>Sink name: webhook, telegram.</summary>
    public required string Destination { get; set; }
    public string Payload { get; set; } = "{}";
    public string? RunId { get; set; }
    public OutboxStatus Status { get; set; } = OutboxStatus.Pending;
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; } = DateTime.UtcNow;
    public string? LastError { get; set; }
    public string? ClaimedBy { get; set; }
    /// <summary>Lease term of the worker that claimed it (fencing).</summary>
    public long? ClaimedTerm { get; set; }
    public DateTime? LockedUntil { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? DeliveredAt { get; set; }
}

/// <summary>SKIPPED: no sink for its destination is configured (kept, visible in stats, never silently "delivered").</summary>
public enum OutboxStatus { Pending, Processing, Delivered, Dead, Skipped }
