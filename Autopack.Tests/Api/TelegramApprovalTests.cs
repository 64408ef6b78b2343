using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autopack.Core.Approvals;
using Autopack.Core.Domain;
using Autopack.Core.Outbox;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

/// <summary>
/// Approve/Reject buttons decide only when pressed in TELEGRAM_CHAT_ID by a user in TELEGRAM_APPROVER_IDS, through the
/// API's webhook and through the outbox worker's long polling alike. Updates have the shape Telegram sends.
/// </summary>
[Trait("Category", "Process")]
public class TelegramApprovalTests
{
    private const long Chat = -1001234567890;
    private const long Approver = 4242;
    private const string Secret = "telegram-webhook-secret";

    /// <summary>A callback_query update as Telegram delivers it (fields from a recorded press, ids replaced).</summary>
    private static JsonNode Press(long updateId, long chatId, long userId, string approvalId, bool approve = true) => JsonNode.Parse($$"""
        {
          "update_id": {{updateId}},
          "callback_query": {
            "id": "cbq-{{updateId}}",
            "from": { "id": {{userId}}, "is_bot": false, "first_name": "User{{userId}}", "username": "user{{userId}}", "language_code": "en" },
            "message": {
              "message_id": 77,
              "from": { "id": 6000000001, "is_bot": true, "first_name": "Autopack", "username": "autopack_bot" },
              "chat": { "id": {{chatId}}, "title": "Ops", "type": "supergroup" },
              "date": 1764547200,
              "text": "Approval needed: touches src/other",
              "reply_markup": { "inline_keyboard": [[{ "text": "Approve", "callback_data": "a:{{approvalId}}" }, { "text": "Reject", "callback_data": "r:{{approvalId}}" }]] }
            },
            "chat_instance": "-4839571264718293",
            "data": "{{TelegramCallbackData.Encode(approvalId, approve)}}"
          }
        }
        """)!;

    private static Dictionary<string, string?> TelegramSettings(FakeTelegramBotApi telegram) => new()
    {
        ["TELEGRAM_BOT_TOKEN"] = FakeTelegramBotApi.Token, ["TELEGRAM_WEBHOOK_SECRET"] = Secret, ["TELEGRAM_CHAT_ID"] = Chat.ToString(),
        ["TELEGRAM_APPROVER_IDS"] = $"{Approver}, 99", ["TELEGRAM_API_BASE_URL"] = telegram.BaseUrl,
    };

    private static async Task<string> RequestApprovalAsync(TestDatabase db, string runId)
    {
        await using var ctx = db.CreateContext();
        ctx.Runs.Add(new Run { Id = runId, Name = runId });
        await ctx.SaveChangesAsync();
        return (await ApprovalWorkflow.RequestAsync(ctx, runId, null, ApprovalKind.Manual, "check before merging", null)).Id;
    }

    private static async Task<(ApprovalStatus Status, int Decided)> StateAsync(TestDatabase db, string approvalId)
    {
        await using var ctx = db.CreateContext();
        return ((await ctx.Approvals.SingleAsync(a => a.Id == approvalId)).Status, await ctx.RunEvents.CountAsync(e => e.Type == "approval.decided"));
    }

    [Fact]
    public async Task Webhook_presses_from_another_chat_or_user_are_answered_not_allowed_and_record_nothing()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var telegram = await FakeTelegramBotApi.StartAsync();
        await using var api = new ApiFactory(db, TelegramSettings(telegram));
        var id = await RequestApprovalAsync(db, "tg");
        var http = api.Anonymous();
        http.DefaultRequestHeaders.Add("X-Telegram-Bot-Api-Secret-Token", Secret);

        async Task<JsonElement> SendAsync(JsonNode update)
        {
            var response = await http.PostAsync("/telegram/webhook", new StringContent(update.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // Telegram would retry anything else
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        var otherChat = await SendAsync(Press(1, chatId: -100999, userId: Approver, id));
        Assert.False(otherChat.GetProperty("handled").GetBoolean());
        Assert.Contains("chat", otherChat.GetProperty("refused").GetString());
        var otherUser = await SendAsync(Press(2, chatId: Chat, userId: 7, id));
        Assert.Contains("TELEGRAM_APPROVER_IDS", otherUser.GetProperty("refused").GetString());
        Assert.Equal((ApprovalStatus.Pending, 0), await StateAsync(db, id));
        var answers = telegram.CallsOf("answerCallbackQuery");
        Assert.Equal(["cbq-1", "cbq-2"], answers.Select(a => a["callback_query_id"]!.GetValue<string>()));
        Assert.All(answers, a => Assert.StartsWith("Not allowed", a["text"]!.GetValue<string>()));
        Assert.Empty(telegram.CallsOf("editMessageText"));

        var allowed = await SendAsync(Press(3, chatId: Chat, userId: Approver, id));
        Assert.True(allowed.GetProperty("handled").GetBoolean());
        Assert.Equal((ApprovalStatus.Approved, 1), await StateAsync(db, id));
        await using var ctx = db.CreateContext();
        Assert.Equal($"telegram:user{Approver}", (await ctx.Approvals.SingleAsync()).DecidedBy);
    }

    [Fact]
    public async Task Long_polled_presses_follow_the_same_rules()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var telegram = await FakeTelegramBotApi.StartAsync();
        var id = await RequestApprovalAsync(db, "tgp");
        telegram.Enqueue(Press(10, chatId: -100999, userId: Approver, id));
        telegram.Enqueue(Press(11, chatId: Chat, userId: 7, id));
        telegram.Enqueue(Press(12, chatId: Chat, userId: Approver, id, approve: false));
        var env = TelegramSettings(telegram);
        env["DATABASE_URL"] = db.Url;
        env["AUTOPACK_STATE_DIR"] = db.StateRoot;
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalPostgres.FreePort()}";
        env["AUTOPACK_TELEGRAM_MODE"] = "polling";
        env["AUTOPACK_OUTBOX_LEASE_SECONDS"] = "2";
        env["AUTOPACK_OUTBOX_POLL_MS"] = "100";
        await using var worker = ServiceProcess.Start("Autopack.OutboxWorker", env);

        await Eventually.UntilAsync("3 callback answers", () => telegram.CallsOf("answerCallbackQuery").Count >= 3, TimeSpan.FromSeconds(60),
            () => "calls: " + string.Join(", ", telegram.Calls.Select(c => c.Method)));
        var answers = telegram.CallsOf("answerCallbackQuery").ToDictionary(a => a["callback_query_id"]!.GetValue<string>(), a => a["text"]!.GetValue<string>());
        Assert.StartsWith("Not allowed", answers["cbq-10"]);
        Assert.StartsWith("Not allowed", answers["cbq-11"]);
        Assert.StartsWith("Rejected", answers["cbq-12"]);
        Assert.Equal((ApprovalStatus.Rejected, 1), await StateAsync(db, id));
    }
}
