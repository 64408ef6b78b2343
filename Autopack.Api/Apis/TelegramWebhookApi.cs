using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Autopack.Api.Extensions;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Apis;

/// <summary>
/// <c>POST /telegram/webhook</c>: Telegram delivers button presses here. Authenticated by the
/// X-Telegram-Bot-Api-Secret-Token header (compared in constant time), not by user credentials.
/// </summary>
/// <summary>What was done with a Telegram update (always 200: Telegram retries anything else).</summary>
public sealed record TelegramWebhookAck(bool Handled, string? Decision, string? ApprovalId, string? Refused);

public static class TelegramWebhookApi
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static RouteHandlerBuilder MapTelegramWebhookApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/telegram/webhook", Receive).AllowAnonymous().WithTags("Telegram").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesValidationProblem(StatusCodes.Status400BadRequest);

    private static async Task<Results<Ok<TelegramWebhookAck>, ProblemHttpResult>> Receive(HttpContext http, JsonNode? update, AutopackSettings settings, IOptions<ApiOptions> options,
        TelegramApprovers approvers, IHttpClientFactory clients, AutopackDbContext db, CancellationToken ct)
    {
        var secret = settings.Secret(SecretNames.TelegramWebhookSecret);
        if (secret is null) return ApiProblem.Create(404, ProblemCodes.TelegramDisabled, "The Telegram webhook is not configured (TELEGRAM_WEBHOOK_SECRET).");
        var given = http.Request.Headers[SecretHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret)))
            return ApiProblem.Create(401, ProblemCodes.Unauthorized, "Wrong or missing Telegram secret token.");
        if (update is null) return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["body"] = ["a Telegram update is required"] });
        var token = settings.Secret(SecretNames.TelegramBotToken);
        var bot = token is null ? null : new TelegramBotApi(clients.CreateClient("telegram"), token,
            options.Value.TelegramApiBaseUrl);
        var outcome = await TelegramUpdateHandler.HandleAsync(update, db, bot, approvers, ct);
        // Telegram retries non-2xx answers; an update we do not act on (or refuse) is still acknowledged.
        return TypedResults.Ok(new TelegramWebhookAck(outcome.Handled, outcome.Decision?.ToString().ToLowerInvariant(), outcome.ApprovalId, outcome.Refused));
    }
}
