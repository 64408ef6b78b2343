using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The live-event check every <see cref="FrontDoor"/> must pass: the upstream writes one event and holds the stream open
/// until the test has read it, then writes the second. A proxy that buffers would hold the first back, so reading it
/// proves the door passes events on as they happen; nothing here depends on timing.
/// </summary>
public sealed class EventStreamProbe
{
    private readonly TaskCompletionSource _sendSecondEvent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Serves <c>/runs/{id}/events</c> on the upstream, recording each request's path and query.</summary>
    public void Map(WebApplication upstream, ConcurrentQueue<string> received) =>
        upstream.MapGet("/runs/{id}/events", async (HttpContext ctx) =>
        {
            received.Enqueue(ctx.Request.Path + ctx.Request.QueryString);
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync("id: 1\nevent: first\ndata: {}\n\n");
            await ctx.Response.Body.FlushAsync();
            await _sendSecondEvent.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await ctx.Response.WriteAsync("id: 2\nevent: second\ndata: {}\n\n");
        });

    /// <summary>Reads the first event while the upstream holds the stream open, then lets it send the second and reads that.</summary>
    public async Task AssertUnbufferedAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            Assert.True(await ReadUntilAsync(reader, "event: first", timeout.Token), "the first event did not arrive while the stream stayed open: buffered");
        _sendSecondEvent.SetResult();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            Assert.True(await ReadUntilAsync(reader, "event: second", timeout.Token));
    }

    /// <summary>Lets a stream still held open finish, so the upstream can stop.</summary>
    public void Release() => _sendSecondEvent.TrySetResult();

    private static async Task<bool> ReadUntilAsync(StreamReader reader, string line, CancellationToken ct)
    {
        try
        {
            string? read;
            while ((read = await reader.ReadLineAsync(ct)) is not null)
                if (read == line) return true;
            return false;
        }
        catch (OperationCanceledException) { return false; }
    }
}
