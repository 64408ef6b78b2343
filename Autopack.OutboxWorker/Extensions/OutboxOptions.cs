using System.ComponentModel.DataAnnotations;

namespace Autopack.OutboxWorker.Extensions;

/// <summary>Relay settings; bound from AUTOPACK_OUTBOX_* and the sink variables, validated at start.</summary>
public sealed class OutboxOptions
{
    [Range(1, 1000)] public int BatchSize { get; set; } = 50;
    /// <summary>AUTOPACK_OUTBOX_PARALLELISM: sends in flight at once (across runs; one run's messages stay in order).</summary>
    [Range(1, 64)] public int Parallelism { get; set; } = 4;
    [Range(0.5, 3600)] public double LeaseSeconds { get; set; } = 15;
    [Range(10, 60_000)] public int PollMs { get; set; } = 500;
    [Range(1, 100)] public int MaxAttempts { get; set; } = 5;
    [Range(1, 3_600_000)] public int BackoffBaseMs { get; set; } = 5_000;
    [Range(1, 86_400_000)] public int BackoffMaxMs { get; set; } = 900_000;
    [Range(0, 1)] public double Jitter { get; set; } = 0.2;
    public string[] WebhookUrls { get; set; } = [];
    [Range(100, 600_000)] public int WebhookTimeoutMs { get; set; } = 10_000;
    public string? WebhookSecret { get; set; }
    public string? TelegramBotToken { get; set; }
    public string? TelegramChatId { get; set; }
    public Uri TelegramApiBaseUrl { get; set; } = Core.Outbox.TelegramBotApi.DefaultBaseUrl;
    /// <summary>AUTOPACK_TELEGRAM_MODE: "webhook" (the API receives button presses) or "polling" (this worker long-polls getUpdates).</summary>
    [RegularExpression("^(webhook|polling)$")] public string TelegramMode { get; set; } = "webhook";

    public static void Bind(OutboxOptions o, IConfiguration c)
    {
        o.BatchSize = c.GetValue("AUTOPACK_OUTBOX_BATCH_SIZE", o.BatchSize);
        o.Parallelism = c.GetValue("AUTOPACK_OUTBOX_PARALLELISM", o.Parallelism);
        o.LeaseSeconds = c.GetValue("AUTOPACK_OUTBOX_LEASE_SECONDS", o.LeaseSeconds);
        o.PollMs = c.GetValue("AUTOPACK_OUTBOX_POLL_MS", o.PollMs);
        o.MaxAttempts = c.GetValue("AUTOPACK_OUTBOX_MAX_ATTEMPTS", o.MaxAttempts);
        o.BackoffBaseMs = c.GetValue("AUTOPACK_OUTBOX_BACKOFF_BASE_MS", o.BackoffBaseMs);
        o.BackoffMaxMs = c.GetValue("AUTOPACK_OUTBOX_BACKOFF_MAX_MS", o.BackoffMaxMs);
        o.Jitter = c.GetValue("AUTOPACK_OUTBOX_JITTER", o.Jitter);
        o.WebhookUrls = (c["AUTOPACK_WEBHOOK_URLS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        o.WebhookTimeoutMs = c.GetValue("AUTOPACK_WEBHOOK_TIMEOUT_MS", o.WebhookTimeoutMs);
        o.WebhookSecret = c["AUTOPACK_WEBHOOK_SECRET"];
        o.TelegramBotToken = c["TELEGRAM_BOT_TOKEN"];
        o.TelegramChatId = c["TELEGRAM_CHAT_ID"];
        if (c["TELEGRAM_API_BASE_URL"] is { Length: > 0 } b) o.TelegramApiBaseUrl = new Uri(b);
        o.TelegramMode = c["AUTOPACK_TELEGRAM_MODE"] ?? o.TelegramMode;
    }

    public Core.Outbox.BackoffPolicy Backoff => new(TimeSpan.FromMilliseconds(BackoffBaseMs), TimeSpan.FromMilliseconds(BackoffMaxMs), Jitter);
}
