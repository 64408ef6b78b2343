namespace Autopack.Core.Configuration;

/// <summary>
/// With <c>AUTOPACK_ENV=production</c> a service refuses to start on any weak setting, and says every
/// problem at once so an operator fixes them in one go.
/// </summary>
public static class ProductionReadiness
{
    public const int MinApiKeyLength = 32;

    public static bool IsProduction(Func<string, string?> env) =>
        string.Equals(env("AUTOPACK_ENV"), "production", StringComparison.OrdinalIgnoreCase);

    /// <param name="secrets">Resolved secrets (see <see cref="SecretResolver"/>).</param>
    /// <param name="env">Plain (non-secret) settings.</param>
    public static IReadOnlyList<string> Check(IReadOnlyDictionary<string, string> secrets, Func<string, string?> env)
    {
        var problems = new List<string>();
        secrets.TryGetValue(SecretNames.DatabaseUrl, out var dbUrl);
        var aspireDb = env("ConnectionStrings__autopack");
        if (string.IsNullOrWhiteSpace(dbUrl) && string.IsNullOrWhiteSpace(aspireDb))
            problems.Add("DATABASE_URL (or DATABASE_URL_FILE, or ConnectionStrings__autopack) is not set.");
        else if ((dbUrl ?? aspireDb)!.TrimStart().StartsWith("sqlite", StringComparison.OrdinalIgnoreCase))
            problems.Add("SQLite is not allowed in production: point DATABASE_URL at PostgreSQL.");

        if (!secrets.TryGetValue(SecretNames.ApiKey, out var apiKey))
            problems.Add("AUTOPACK_API_KEY (or AUTOPACK_API_KEY_FILE) is not set.");
        else if (apiKey.Length < MinApiKeyLength)
            problems.Add($"AUTOPACK_API_KEY is {apiKey.Length} characters; production needs at least {MinApiKeyLength}.");

        if (!secrets.ContainsKey(SecretNames.JwtPrivateKey) || !secrets.ContainsKey(SecretNames.JwtPublicKey))
            problems.Add("JWT_PRIVATE_KEY and JWT_PUBLIC_KEY (or their _FILE forms) must both be set: ephemeral JWT keys are for development only.");

        if (secrets.ContainsKey(SecretNames.TelegramBotToken) && !secrets.ContainsKey(SecretNames.TelegramWebhookSecret))
            problems.Add("Telegram is on (TELEGRAM_BOT_TOKEN is set) but TELEGRAM_WEBHOOK_SECRET is not: the webhook would accept anyone.");

        if (string.Equals(env("AUTOPACK_PUBLIC_READ"), "1", StringComparison.Ordinal))
            problems.Add("AUTOPACK_PUBLIC_READ=1 is for development only.");
        return problems;
    }
}

public sealed class ProductionConfigurationException(IReadOnlyList<string> problems)
    : Exception("Autopack refuses to start in production:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => " - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
