using System.Text.Json;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Core.Events;

/// <summary>
/// Appends to <c>run_events</c> inside the caller's transaction. The per-run sequence comes from bumping
/// <c>runs.last_event_seq</c>, which row-locks the run until commit: sequences are gapless and become
/// visible in order, so an SSE client resuming from Last-Event-ID never skips an event.
/// </summary>
public static class RunEventWriter
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static async Task<RunEvent> AppendAsync(AutopackDbContext db, string runId, string type, object payload,
        string? phaseId = null, CancellationToken ct = default)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Run events are written in the same transaction as the state change they describe; begin one first.");
        var updated = await db.Runs.Where(r => r.Id == runId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LastEventSeq, r => r.LastEventSeq + 1), ct);
        if (updated != 1) throw new InvalidOperationException($"Run '{runId}' does not exist.");
        var seq = await db.Runs.Where(r => r.Id == runId).Select(r => r.LastEventSeq).SingleAsync(ct);
        var ev = new RunEvent
        {
            RunId = runId,
            Sequence = seq,
            Type = type,
            PhaseId = phaseId,
            Payload = JsonSerializer.Serialize(payload, Json),
            CreatedAt = db.UtcNow,
        };
        db.RunEvents.Add(ev);
        await RunEventNotifications.NotifyAsync(db, runId, ct);
        return ev;
    }
}
