using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autopack.Core.Outbox;

/// <summary>The few Telegram Bot API methods Autopack uses, over plain HTTPS (base URL overridable for tests).</summary>
public sealed class TelegramBotApi(HttpClient http, string token, Uri? baseUrl = null)
{
    public static readonly Uri DefaultBaseUrl = new("https://api.telegram.org");
    private readonly Uri _base = baseUrl ?? DefaultBaseUrl;

    /// <summary>Telegram's answer: ok + result, or an error code/description (429 carries retry_after).</summary>
    public sealed record Reply(int HttpStatus, bool Ok, JsonNode? Result, string? Description, int? RetryAfter);

    public Task<Reply> SendMessageAsync(string chatId, string text, JsonArray? inlineKeyboard, CancellationToken ct)
    {
        var body = new JsonObject { ["chat_id"] = chatId, ["text"] = text, ["disable_web_page_preview"] = true };
        if (inlineKeyboard is not null) body["reply_markup"] = new JsonObject { ["inline_keyboard"] = inlineKeyboard };
        return CallAsync("sendMessage", body, ct);
    }

    public Task<Reply> AnswerCallbackQueryAsync(string callbackQueryId, string text, CancellationToken ct) =>
        CallAsync("answerCallbackQuery", new JsonObject { ["callback_query_id"] = callbackQueryId, ["text"] = text }, ct);

    public Task<Reply> EditMessageTextAsync(long chatId, long messageId, string text, CancellationToken ct) =>
        CallAsync("editMessageText", new JsonObject { ["chat_id"] = chatId, ["message_id"] = messageId, ["text"] = text }, ct);

    public Task<Reply> GetUpdatesAsync(long offset, int timeoutSeconds, CancellationToken ct) =>
        CallAsync("getUpdates", new JsonObject { ["offset"] = offset, ["timeout"] = timeoutSeconds, ["allowed_updates"] = new JsonArray("callback_query") }, ct);

    private async Task<Reply> CallAsync(string method, JsonObject body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(new Uri(_base, $"/bot{token}/{method}"), body, ct);
        JsonNode? json = null;
        try { json = await response.Content.ReadFromJsonAsync<JsonNode>(ct); } catch (JsonException) { }
        var ok = json?["ok"]?.GetValue<bool>() == true;
        return new Reply((int)response.StatusCode, ok, json?["result"], json?["description"]?.GetValue<string>(),
            json?["parameters"]?["retry_after"]?.GetValue<int>());
    }
}
