using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The Telegram Bot API's wire protocol on loopback (<c>POST /bot&lt;token&gt;/&lt;method&gt;</c>, JSON in, <c>{"ok":true,"result":…}</c>
/// out) for the methods Autopack calls. It records every call and serves queued updates to <c>getUpdates</c> by offset,
/// holding an empty long poll for up to a second (Telegram holds it for the requested timeout).
/// </summary>
public sealed class FakeTelegramBotApi : IAsyncDisposable
{
    public const string Token = "123456:TEST-token";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonNode> _updates = new();
    private long _messageId = 100;

    public string BaseUrl { get; }
    public ConcurrentQueue<(string Method, JsonNode Body)> Calls { get; } = new();

    private FakeTelegramBotApi(WebApplication app, string url) { _app = app; BaseUrl = url; }

    public void Enqueue(JsonNode update) => _updates.Enqueue(update);

    public IReadOnlyList<JsonNode> CallsOf(string method) => Calls.Where(c => c.Method == method).Select(c => c.Body).ToList();

    public static async Task<FakeTelegramBotApi> StartAsync()
    {
        var url = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var fake = new FakeTelegramBotApi(app, url);
        app.MapPost($"/bot{Token}/{{method}}", async (string method, HttpContext ctx) =>
        {
            var body = await JsonNode.ParseAsync(ctx.Request.Body) ?? new JsonObject();
            fake.Calls.Enqueue((method, body));
            JsonNode? result = method switch
            {
                "getUpdates" => await fake.UpdatesAsync(body["offset"]?.GetValue<long>() ?? 0, ctx.RequestAborted),
                "sendMessage" or "editMessageText" => new JsonObject
                {
                    ["message_id"] = Interlocked.Increment(ref fake._messageId), ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = body["chat_id"]?.DeepClone() }, ["text"] = body["text"]?.DeepClone(),
                },
                "answerCallbackQuery" => true,
                _ => null,
            };
            return result is null
                ? Results.Json(new JsonObject { ["ok"] = false, ["error_code"] = 404, ["description"] = "Not Found: method not found" }, statusCode: 404)
                : Results.Json(new JsonObject { ["ok"] = true, ["result"] = result });
        });
        await app.StartAsync();
        return fake;
    }

    private async Task<JsonArray> UpdatesAsync(long offset, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(1);
        while (true)
        {
            var ready = _updates.Where(u => u["update_id"]!.GetValue<long>() >= offset).Select(u => u.DeepClone()).ToArray();
            if (ready.Length > 0 || DateTime.UtcNow > deadline) return new JsonArray(ready);
            await Task.Delay(50, ct);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
