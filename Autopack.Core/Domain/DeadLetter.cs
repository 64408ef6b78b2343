namespace Autopack.Core.Domain;

public class DeadLetter
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public required string Type { get; set; }
    public required string Destination { get; set; }
    public string Payload { get; set; } = "{}";
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTime DeadAt { get; set; } = DateTime.UtcNow;
    public DateTime? ReplayedAt { get; set; }
}
