namespace Autopack.Core.Configuration;

/// <summary>Every secret that may come from a file (<c>X_FILE</c> &gt; <c>X</c> &gt; default).</summary>
public static class SecretNames
{
    public const string DatabaseUrl = "DATABASE_URL";
    public const string ApiKey = "AUTOPACK_API_KEY";
    public const string JwtPrivateKey = "JWT_PRIVATE_KEY";
    public const string JwtPublicKey = "JWT_PUBLIC_KEY";
    public const string TelegramBotToken = "TELEGRAM_BOT_TOKEN";
    public const string TelegramWebhookSecret = "TELEGRAM_WEBHOOK_SECRET";
    public const string AnthropicApiKey = "ANTHROPIC_API_KEY";
    public const string OpenAiApiKey = "OPENAI_API_KEY";
    public const string GoogleApiKey = "GOOGLE_API_KEY";
    /// <summary>Deprecated alias of <see cref="GoogleApiKey"/>.</summary>
    public const string GeminiApiKey = "GEMINI_API_KEY";
    public const string QdrantApiKey = "QDRANT_API_KEY";
    public const string WebhookSigningSecret = "AUTOPACK_WEBHOOK_SECRET";
    /// <summary>The first dashboard admin's password (with <c>AUTOPACK_ADMIN_USER</c>).</summary>
    public const string AdminPassword = "AUTOPACK_ADMIN_PASSWORD";

    public static readonly IReadOnlyList<string> All =
    [
        DatabaseUrl, ApiKey, JwtPrivateKey, JwtPublicKey, TelegramBotToken, TelegramWebhookSecret,
        AnthropicApiKey, OpenAiApiKey, GoogleApiKey, GeminiApiKey, QdrantApiKey, WebhookSigningSecret, AdminPassword,
    ];
}
