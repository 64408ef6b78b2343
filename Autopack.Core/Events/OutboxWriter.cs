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
    public const string Webhook = "webhook";
    public const string Telegram = "telegram";

    /// <summary>One message per destination that cares about <paramref name="type"/> (see <see cref="DestinationsFor"/>).</summary>
    public static IReadOnlyList<OutboxMessage> Publish(AutopackDbContext db, string type, object payload, string? runId = null) =>
        DestinationsFor(type).Select(d => Enqueue(db, type, d, payload, runId)).ToList();

    /// <summary>Approvals also go to Telegram (with Approve/Reject buttons); every event goes to the webhooks.</summary>
    public static IReadOnlyList<string> DestinationsFor(string type) =>
        type is EventTypes.ApprovalRequested or EventTypes.RunCompleted or EventTypes.RunFailed or EventTypes.RunPaused
            ? [Webhook, Telegram]
            : [Webhook];

    public static OutboxMessage Enqueue(AutopackDbContext db, string type, string destination, object payload, string? runId = null)
    {
        var now = db.UtcNow;
        var message = new OutboxMessage
        {
            Type = type,
            Destination = destination,
            Payload = JsonSerializer.Serialize(payload, RunEventWriter.Json),
            RunId = runId,
            CreatedAt = now,
            NextAttemptAt = now,
        };
        db.OutboxMessages.Add(message);
        return message;
    }
}
