using System.Collections.Concurrent;

namespace Autopack.Bench.Harness;

/// <summary>A local webhook receiver (Kestrel, loopback) that answers 200 and counts deliveries by Idempotency-Key.</summary>
public sealed class WebhookSinkServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _byKey = new();
    private int _received;

    public string Url { get; }
    public int Received => Volatile.Read(ref _received);
    public int Distinct => _byKey.Count;

    private WebhookSinkServer(WebApplication app, string url) { _app = app; Url = url; }

    public static async Task<WebhookSinkServer> StartAsync()
    {
        var url = $"http://127.0.0.1:{Autopack.Tests.Infrastructure.LocalPostgres.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var sink = new WebhookSinkServer(app, url + "/hook");
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            sink._byKey.AddOrUpdate(request.Headers["Idempotency-Key"].ToString(), 1, (_, n) => n + 1);
            Interlocked.Increment(ref sink._received);
            return Results.Ok();
        });
        await app.StartAsync();
        return sink;
    }

    public void Reset() { _byKey.Clear(); Volatile.Write(ref _received, 0); }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
