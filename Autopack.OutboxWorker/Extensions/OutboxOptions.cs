using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Extensions;

/// <summary>Relay settings; bound once from the AUTOPACK_OUTBOX_* and sink variables named on each property, validated at start.</summary>
public sealed class OutboxOptions
{
    [ConfigurationKeyName("AUTOPACK_OUTBOX_BATCH_SIZE")] [Range(1, 1000)] public int BatchSize { get; set; } = 50;
    /// <summary>Sends in flight at once (across runs; one run's messages stay in order).</summary>
    [ConfigurationKeyName("AUTOPACK_OUTBOX_PARALLELISM")] [Range(1, 64)] public int Parallelism { get; set; } = 4;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_LEASE_SECONDS")] [Range(0.5, 3600)] public double LeaseSeconds { get; set; } = 15;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_POLL_MS")] [Range(10, 60_000)] public int PollMs { get; set; } = 500;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_MAX_ATTEMPTS")] [Range(1, 100)] public int MaxAttempts { get; set; } = 5;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_BACKOFF_BASE_MS")] [Range(1, 3_600_000)] public int BackoffBaseMs { get; set; } = 5_000;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_BACKOFF_MAX_MS")] [Range(1, 86_400_000)] public int BackoffMaxMs { get; set; } = 900_000;
    [ConfigurationKeyName("AUTOPACK_OUTBOX_JITTER")] [Range(0, 1)] public double Jitter { get; set; } = 0.2;
    /// <summary>Comma-separated webhook URLs.</summary>
    [ConfigurationKeyName("AUTOPACK_WEBHOOK_URLS")] public string? WebhookUrlList { get; set; }
    [ConfigurationKeyName("AUTOPACK_WEBHOOK_TIMEOUT_MS")] [Range(100, 600_000)] public int WebhookTimeoutMs { get; set; } = 10_000;
    [ConfigurationKeyName("AUTOPACK_WEBHOOK_SECRET")] public string? WebhookSecret { get; set; }
    [ConfigurationKeyName("TELEGRAM_BOT_TOKEN")] public string? TelegramBotToken { get; set; }
    [ConfigurationKeyName("TELEGRAM_CHAT_ID")] public string? TelegramChatId { get; set; }
    /// <summary>Telegram's Bot API base URL (a test server in tests); empty means Telegram's own.</summary>
    [ConfigurationKeyName("TELEGRAM_API_BASE_URL")] public string? TelegramApiBase { get; set; }
    /// <summary>"webhook" (the API receives button presses) or "polling" (this worker long-polls getUpdates).</summary>
    [ConfigurationKeyName("AUTOPACK_TELEGRAM_MODE")] [RegularExpression("^(webhook|polling)$")] public string TelegramMode { get; set; } = "webhook";

    public string[] WebhookUrls => (WebhookUrlList ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public Uri TelegramApiBaseUrl => string.IsNullOrEmpty(TelegramApiBase) ? Core.Outbox.TelegramBotApi.DefaultBaseUrl : new Uri(TelegramApiBase);

    public Core.Outbox.BackoffPolicy Backoff => new(TimeSpan.FromMilliseconds(BackoffBaseMs), TimeSpan.FromMilliseconds(BackoffMaxMs), Jitter);
}

/// <summary>The data-annotation checks of <see cref="OutboxOptions"/>, generated at compile time.</summary>
[OptionsValidator]
public sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>;
