using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class EndpointExtensions
{
    public static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    /// <summary>/health (the contract), /alive, /api/health/ready, /api/health/startup and /api/version.</summary>
    /// <remarks>
    /// Mapped in every environment, unlike the Aspire template (Development only): the deployment guides, the Compose
    /// health checks and the Kubernetes probes call them in production, the executor compares the API's database
    /// identity there, and Aspire's own <c>WithHttpHealthCheck</c> needs them whatever environment a service runs in.
    /// They reveal no secret (the identity is a hash of the URL with its credentials masked).
    /// </remarks>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") }).AllowAnonymous();
        app.MapGet("/health", WriteHealth).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/api/health/ready", WriteHealth).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/api/health/startup", () => StartupGate.Completed
                ? Results.Json(new { status = "started" }, SnakeCase)
                : Results.Json(new { status = "starting" }, SnakeCase, statusCode: 503))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/api/version", () => Results.Json(BuildInfo.Current with
        {
            Version = app.Services.GetRequiredService<Autopack.Core.Configuration.AutopackSettings>().Version,
        }, SnakeCase)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> WriteHealth(AutopackHealth health, CancellationToken ct)
    {
        var report = await health.CheckAsync(ct);
        return Results.Json(report, SnakeCase, statusCode: report.Database == "connected" ? 200 : 503);
    }
}
