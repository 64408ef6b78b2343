using System.Text.Json.Serialization;
using Autopack.Core.Configuration;
using Autopack.Executor.Extensions;

namespace Autopack.Executor.Startup;

/// <summary>
/// The executor writes the database directly, so it must be the same database the API serves: before working
/// it asks the API's /health and refuses (non-zero exit) when the API reports another database identity or is
/// not an Autopack service. Unreachable API: retried with backoff. No API configured: a warning.
/// </summary>
public sealed class ApiIdentityCheck(ExecutorOptions options, AutopackSettings settings, IHttpClientFactory httpClients, ILogger<ApiIdentityCheck> logger)
{
    public sealed record HealthBody(
        [property: JsonPropertyName("service")] string? Service,
        [property: JsonPropertyName("database_identity")] string? DatabaseIdentity,
        [property: JsonPropertyName("component")] string? Component);

    /// <summary>True when work may start; false means refuse.</summary>
    public async Task<bool> VerifyAsync(CancellationToken ct)
    {
        var own = settings.Database.Identity;
        logger.LogInformation("Executor database identity {DatabaseIdentity} ({Database})", own, settings.Database.MaskedUrl);
        if (options.ApiUrl is null)
        {
            logger.LogWarning("No API configured (AUTOPACK_API_URL or services__api__http__0): cannot confirm this executor shares the API's database");
            return true;
        }
        var health = new Uri(options.ApiUrl, "/health");
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                using var client = httpClients.CreateClient("api-identity");
                client.Timeout = TimeSpan.FromSeconds(10);
                using var response = await client.GetAsync(health, ct);
                var body = await response.Content.ReadFromJsonAsync<HealthBody>(ct);
                if (body?.Service != "autopack")
                {
                    logger.LogError("Refusing to work: {Url} is not an Autopack service (service={Service})", health, body?.Service ?? "(none)");
                    return false;
                }
                if (!string.Equals(body.DatabaseIdentity, own, StringComparison.OrdinalIgnoreCase))
                {
                    logger.LogError("Refusing to work: the API at {Url} uses database identity {ApiIdentity}, this executor {OwnIdentity}. Point both at the same DATABASE_URL.",
                        health, body.DatabaseIdentity, own);
                    return false;
                }
                logger.LogInformation("API at {Url} confirmed on the same database ({DatabaseIdentity})", health, own);
                return true;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "API {Url} not reachable yet ({Error}); retrying in {Delay}s", health, ex.GetBaseException().Message, delay.TotalSeconds);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
            }
        }
    }
}
