using System.Text.Json;
using System.Text.Json.Nodes;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Outbox;
using Autopack.OutboxWorker.Extensions;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Sinks;

/// <summary>Sends events to the configured Telegram chat; approval requests carry Approve/Reject buttons.</summary>
public sealed class TelegramSink(IHttpClientFactory clients, IOptions<OutboxOptions> options) : IOutboxSink
{
    public const string ClientName = "telegram";
    public string Destination => OutboxWriter.Telegram;

    public string? NotConfiguredReason => string.IsNullOrEmpty(options.Value.TelegramBotToken) || string.IsNullOrEmpty(options.Value.TelegramChatId)
        ? "Telegram is not configured (TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID)" : null;

    public TelegramBotApi Bot() => new(clients.CreateClient(ClientName), options.Value.TelegramBotToken!, options.Value.TelegramApiBaseUrl);

    public async Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var payload = JsonNode.Parse(message.Payload) ?? new JsonObject();
        var (text, keyboard) = Render(message.Type, payload);
        TelegramBotApi.Reply reply;
        try { reply = await Bot().SendMessageAsync(options.Value.TelegramChatId!, text, keyboard, ct); }
        catch (HttpRequestException ex) { return DeliveryResult.Retry("Telegram: " + ex.Message); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return DeliveryResult.Retry("Telegram timed out"); }
        if (reply.Ok) return DeliveryResult.Ok;
        var result = DeliveryResult.FromStatus(reply.HttpStatus, "Telegram");
        return result with
        {
            Error = $"Telegram {reply.HttpStatus}: {reply.Description}",
            RetryAfter = reply.RetryAfter is { } s ? TimeSpan.FromSeconds(s) : null,
        };
    }

    public static (string Text, JsonArray? Keyboard) Render(string type, JsonNode payload)
    {
        string Get(string key) => payload[key]?.ToString() ?? "";
        if (type == EventTypes.ApprovalRequested)
        {
            var id = Get("approval_id");
            var text = $"🔔 Approval needed for run {Get("run_id")}" + (payload["phase_id"] is null ? "" : $", phase {Get("phase_id")}") +
                       $"\n{Get("kind")}: {Get("reason")}\nExpires {Get("expires_at")} (then rejected).";
            var keyboard = new JsonArray(new JsonArray(
                new JsonObject { ["text"] = "✅ Approve", ["callback_data"] = TelegramCallbackData.Encode(id, true) },
                new JsonObject { ["text"] = "❌ Reject", ["callback_data"] = TelegramCallbackData.Encode(id, false) }));
            return (text, keyboard);
        }
        var summary = type switch
        {
            EventTypes.RunCompleted => $"✅ Run {Get("run_id")} completed" + (Get("branch") is { Length: > 0 } b ? $" — branch {b}" : ""),
            EventTypes.RunFailed => $"❌ Run {Get("run_id")} failed: {Get("reason")}",
            EventTypes.RunPaused => $"⏸ Run {Get("run_id")} paused: {Get("reason")}",
            _ => $"{type}: {payload.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}",
        };
        return (summary, null);
    }
}
