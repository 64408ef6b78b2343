using System.Text.Json.Nodes;
using Autopack.Core.Approvals;
using Autopack.Core.Data;

namespace Autopack.Core.Outbox;

/// <summary>
/// Turns a Telegram update (from the webhook or from long polling) into an approval decision, then
/// answers the button press and edits the message to show the outcome.
/// </summary>
public static class TelegramUpdateHandler
{
    /// <summary><paramref name="Refused"/> says why a press was not allowed to decide (nothing was recorded then).</summary>
    public sealed record Outcome(bool Handled, ApprovalDecisionOutcome? Decision, string? ApprovalId, string? Refused = null);

    public const string NotAllowed = "Not allowed: you cannot decide approvals here";

    public static async Task<Outcome> HandleAsync(JsonNode update, AutopackDbContext db, TelegramBotApi? bot, TelegramApprovers approvers, CancellationToken ct)
    {
        var callback = update["callback_query"];
        var data = callback?["data"] is JsonValue d && d.TryGetValue<string>(out var s) ? s : null;
        if (callback is null || !TelegramCallbackData.TryParse(data, out var approvalId, out var approve)) return new Outcome(false, null, null);
        if (approvers.Refusal(callback) is { } refusal)
        {
            await AnswerAsync(bot, callback, NotAllowed, ct);
            return new Outcome(false, null, approvalId, refusal);
        }
        var from = callback["from"];
        var who = "telegram:" + (from?["username"]?.ToString() ?? from?["id"]?.ToString() ?? "unknown");
        var result = await ApprovalWorkflow.DecideAsync(db, approvalId, approve, who, "telegram", null, ct);
        var text = result.Outcome switch
        {
            ApprovalDecisionOutcome.Decided => approve ? "Approved ✅" : "Rejected ❌",
            ApprovalDecisionOutcome.Expired => "Expired: counted as rejected",
            ApprovalDecisionOutcome.AlreadyDecided => "Already decided",
            _ => "Unknown approval",
        };
        await AnswerAsync(bot, callback, text, ct);
        if (bot is not null && callback["message"] is { } message && message["chat"]?["id"] is { } chat && message["message_id"] is { } mid)
        {
            try { await bot.EditMessageTextAsync(chat.GetValue<long>(), mid.GetValue<long>(), $"{message["text"]?.GetValue<string>()}\n\n{text} by {who}", ct); }
            catch (HttpRequestException) { }
        }
        return new Outcome(true, result.Outcome, approvalId);
    }

    /// <summary>
    /// Best effort: whatever was decided is already recorded; a failed answer only leaves a spinner on the button.
    /// </summary>
    private static async Task AnswerAsync(TelegramBotApi? bot, JsonNode callback, string text, CancellationToken ct)
    {
        if (bot is null || callback["id"]?.GetValue<string>() is not { } queryId) return;
        try { await bot.AnswerCallbackQueryAsync(queryId, text, ct); }
        catch (HttpRequestException) { }
    }
}
