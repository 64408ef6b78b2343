using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The API's stand-in behind a <see cref="FrontDoor"/>: a real Kestrel app that records every request's path and query and
/// answers each with the text the test makes of the request; <c>/runs/{id}/events</c> is the <see cref="EventStreamProbe"/>'s.
/// Disposal lets a held event stream finish and stops the app.
/// </summary>
public sealed class RecordingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingUpstream(WebApplication app, string url) { _app = app; Url = url; }

    public string Url { get; }

    /// <summary>Path and query of every request that reached the upstream, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public EventStreamProbe Events { get; } = new();

    /// <param name="answer">The response text for a request (e.g. <c>"upstream:" + path</c>, so a test sees where it arrived).</param>
    public static async Task<RecordingUpstream> StartAsync(Func<HttpRequest, string> answer)
    {
        var url = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        var upstream = new RecordingUpstream(builder.Build(), url);
        upstream.Events.Map(upstream._app, upstream.Received);
        upstream._app.Map("/{**path}", (HttpContext ctx) =>
        {
            upstream.Received.Enqueue(ctx.Request.Path + ctx.Request.QueryString);
            return Results.Text(answer(ctx.Request));
        });
        await upstream._app.StartAsync();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        Events.Release();
        await _app.DisposeAsync();
    }
}
