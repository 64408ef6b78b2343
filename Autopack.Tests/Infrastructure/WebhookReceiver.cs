using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real webhook endpoint on loopback that records every delivery (by Idempotency-Key) and answers with
/// whatever status the test chooses per message and per attempt.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();
    public string Url { get; }
    /// <summary>Status to answer for (message id, how many times it was seen before); default 200.</summary>
    public Func<string, int, int> Respond { get; set; } = (_, _) => 200;
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
    /// <summary>The most requests this receiver was handling at one moment.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    private int _inFlight, _maxInFlight;

    /// <param name="From">the <c>?from=</c> of the URL it was posted to, so a test can tell which worker sent it.</param>
    public sealed record Delivery(string Key, string Event, string? Signature, byte[] Body, DateTime At, int Status, string? From);

    private WebhookReceiver(WebApplication app, string url) { _app = app; Url = url; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var url = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, url + "/hook");
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            var key = ctx.Request.Headers["Idempotency-Key"].ToString();
            var now = Interlocked.Increment(ref receiver._inFlight);
            for (var max = receiver.MaxInFlight; now > max; max = receiver.MaxInFlight)
                Interlocked.CompareExchange(ref receiver._maxInFlight, now, max);
            var seen = receiver.Deliveries.Count(d => d.Key == key);
            var status = receiver.Respond(key, seen);
            if (receiver.Delay > TimeSpan.Zero) await Task.Delay(receiver.Delay);
            receiver.Deliveries.Enqueue(new Delivery(key, ctx.Request.Headers["X-Autopack-Event"].ToString(),
                ctx.Request.Headers["X-Autopack-Signature"].FirstOrDefault(), ms.ToArray(), DateTime.UtcNow, status,
                ctx.Request.Query["from"].FirstOrDefault()));
            Interlocked.Decrement(ref receiver._inFlight);
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    public IReadOnlyList<Delivery> Accepted => Deliveries.Where(d => d.Status is >= 200 and < 300).ToList();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
