using System.Text.Json;
using Autopack.Core.Data;
using Autopack.Core.Domain;

namespace Autopack.Core.Events;

/// <summary>
/// Adds outbox rows to the caller's unit of work, so a state change and the messages announcing it
/// commit together or not at all. The outbox worker delivers them.
/// </summary>
public static class OutboxWriter
{
    public static OutboxMessage Enqueue(AutopackDbContext db, string type, string destination, object payload, string? runId = null)
    {
        var message = new OutboxMessage
        {
            Type = type,
            Destination = destination,
            Payload = JsonSerializer.Serialize(payload, RunEventWriter.Json),
            RunId = runId,
            CreatedAt = DateTime.UtcNow,
            NextAttemptAt = DateTime.UtcNow,
        };
        db.OutboxMessages.Add(message);
        return message;
    }
}
