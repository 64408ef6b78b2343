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
    public sealed record Outcome(bool Handled, ApprovalDecisionOutcome? Decision, string? ApprovalId);

    public static async Task<Outcome> HandleAsync(JsonNode update, AutopackDbContext db, TelegramBotApi? bot, CancellationToken ct)
    {
        var callback = update["callback_query"];
        var data = callback?["data"]?.GetValue<string>();
        if (callback is null || !TelegramCallbackData.TryParse(data, out var approvalId, out var approve)) return new Outcome(false, null, null);
        var from = callback["from"];
        var who = "telegram:" + (from?["username"]?.GetValue<string>() ?? from?["id"]?.ToString() ?? "unknown");
        var result = await ApprovalWorkflow.DecideAsync(db, approvalId, approve, who, "telegram", null, ct);
        var text = result.Outcome switch
        {
            ApprovalDecisionOutcome.Decided => approve ? "Approved ✅" : "Rejected ❌",
            ApprovalDecisionOutcome.Expired => "Expired: counted as rejected",
            ApprovalDecisionOutcome.AlreadyDecided => "Already decided",
            _ => "Unknown approval",
        };
        if (bot is not null)
        {
            // Best effort: the decision is already recorded; a failed answer only leaves a spinner on the button.
            try
            {
                if (callback["id"]?.GetValue<string>() is { } queryId) await bot.AnswerCallbackQueryAsync(queryId, text, ct);
                if (callback["message"] is { } message && message["chat"]?["id"] is { } chat && message["message_id"] is { } mid)
                    await bot.EditMessageTextAsync(chat.GetValue<long>(), mid.GetValue<long>(), $"{message["text"]?.GetValue<string>()}\n\n{text} by {who}", ct);
            }
            catch (HttpRequestException) { }
        }
        return new Outcome(true, result.Outcome, approvalId);
    }
}
