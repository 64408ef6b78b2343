using System.Buffers;
using Autopack.Api.Extensions;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

/// <summary>
/// <c>GET /runs/{id}/events</c>: Server-Sent Events from <c>run_events</c>. Replays after Last-Event-ID
/// (header or <c>?last_event_id=</c>), then streams live events, with a comment heartbeat. Live frames and the heartbeat
/// come from <see cref="RunEventFeed"/> already encoded; a stream only copies bytes to its connection.
/// </summary>
public static class EventsApi
{
    public static IEndpointConventionBuilder MapEventsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/runs/{runId}/events", Stream).WithTags("Runs").WithMetadata(new SseEndpointMetadata())
            // A stream, not a typed result: the document says what it sends and how it refuses.
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task Stream(HttpContext http, string runId, [FromQuery(Name = "last_event_id")] long? lastEventId,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader, IAutopackDbFactory dbFactory, RunEventFeed feed,
        SseConnections connections, IProblemDetailsService problems)
    {
        var ct = http.RequestAborted;
        // The header wins: EventSource sends it on every reconnect, while the query keeps the first connect's value.
        var after = long.TryParse(lastEventIdHeader, out var header) ? header : lastEventId ?? 0;
        await using (var db = dbFactory.Create())
        {
            if (!await db.Runs.AnyAsync(r => r.Id == runId, ct))
            {
                await WriteProblemAsync(http, problems, 404, ProblemCodes.NotFound, $"Run '{runId}' was not found.");
                return;
            }
        }
        var client = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!connections.TryOpen(client))
        {
            http.Response.Headers.RetryAfter = "10";
            await WriteProblemAsync(http, problems, 429, ProblemCodes.SseLimit, "Too many open event streams; close one or retry later.");
            return;
        }
        try
        {
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            using var subscription = feed.Subscribe(runId, after);
            var sent = await ReplayAsync(http, dbFactory, runId, after, long.MaxValue);
            var body = http.Response.BodyWriter;
            body.Write(SseFrame.Connected.Bytes.Span);
            await body.FlushAsync(ct);
            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(ct))
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.IsComment) { body.Write(frame.Bytes.Span); continue; }
                    if (frame.Sequence <= sent) continue;
                    // Sequences are gapless, so a jump means the bounded buffer dropped events while this client was slow.
                    if (frame.Sequence > sent + 1) sent = await ReplayAsync(http, dbFactory, runId, sent, frame.Sequence);
                    body.Write(frame.Bytes.Span);
                    sent = frame.Sequence;
                }
                await body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally { connections.Close(client); }
    }

    /// <summary>
    /// Writes the stored events after <paramref name="after"/> and before <paramref name="before"/>, a page at a time so no
    /// database connection waits on a slow client; returns the last sequence sent.
    /// </summary>
    private static async Task<long> ReplayAsync(HttpContext http, IAutopackDbFactory dbFactory, string runId, long after, long before)
    {
        const int page = 500;
        var sent = after;
        while (true)
        {
            List<RunEvent> events;
            await using (var db = dbFactory.Create())
                events = await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Sequence > sent && e.Sequence < before)
                    .OrderBy(e => e.Sequence).Take(page).ToListAsync(http.RequestAborted);
            foreach (var e in events)
            {
                http.Response.BodyWriter.Write(SseFrame.From(e).Bytes.Span);
                sent = e.Sequence;
            }
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
            if (events.Count < page) return sent;
        }
    }

    private static async Task WriteProblemAsync(HttpContext http, IProblemDetailsService problems, int status, string code, string detail)
    {
        http.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail };
        problem.Extensions["code"] = code;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}

/// <summary>Marks streaming endpoints: no request timeout, no slot in the concurrency limit (they have their own caps).</summary>
public sealed class SseEndpointMetadata;
