using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Autopack.Core.Outbox;

/// <summary>
/// Who may decide an approval with a Telegram button: only presses on a message in the configured chat
/// (<c>TELEGRAM_CHAT_ID</c>, a numeric id or an <c>@channel</c> name) and, when <c>TELEGRAM_APPROVER_IDS</c> lists
/// Telegram user ids, only by those users. In a group chat every member sees the buttons; without this, anyone there
/// (or anyone who forwards the bot a crafted callback) could approve a risky step.
/// </summary>
public sealed class TelegramApprovers(string? chatId, IReadOnlySet<long> userIds)
{
    public string? ChatId { get; } = string.IsNullOrWhiteSpace(chatId) ? null : chatId.Trim();
    public IReadOnlySet<long> UserIds { get; } = userIds;

    public static TelegramApprovers From(IConfiguration configuration)
    {
        var ids = new HashSet<long>();
        foreach (var id in (configuration["TELEGRAM_APPROVER_IDS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            ids.Add(long.TryParse(id, out var n) ? n : throw new FormatException($"TELEGRAM_APPROVER_IDS: '{id}' is not a Telegram user id (a number)."));
        return new TelegramApprovers(configuration["TELEGRAM_CHAT_ID"], ids);
    }

    /// <summary>Why this button press may not decide anything, or null when it may.</summary>
    public string? Refusal(JsonNode callbackQuery)
    {
        if (ChatId is null) return "no TELEGRAM_CHAT_ID is configured";
        var chat = callbackQuery["message"]?["chat"];
        var inChat = chat?["id"] is JsonValue id && id.ToString() == ChatId
            || ChatId.StartsWith('@') && chat?["username"] is JsonValue name && "@" + name.ToString() == ChatId;
        if (!inChat) return "pressed outside the configured chat";
        if (UserIds.Count > 0 && !(callbackQuery["from"]?["id"] is JsonValue from && from.TryGetValue<long>(out var user) && UserIds.Contains(user)))
            return "the user is not in TELEGRAM_APPROVER_IDS";
        return null;
    }
}
