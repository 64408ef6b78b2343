using Autopack.Core.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Autopack.Hosting;

/// <summary>Autopack's probes beside ServiceDefaults' /health and /alive.</summary>
public static class AutopackEndpointExtensions
{
    /// <summary>/api/health/ready (the /health contract again), /api/health/startup and /api/version, in every environment (see MapDefaultEndpoints).</summary>
    public static WebApplication MapAutopackEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/api/health/ready").AllowAnonymous();
        app.MapGet("/api/health/startup", StartupStatus).AllowAnonymous().ExcludeFromDescription();
        var version = BuildInfo.Current with { Version = app.Services.GetRequiredService<AutopackSettings>().Version };
        app.MapGet("/api/version", () => TypedResults.Json(version, AutopackHealthWriter.SnakeCase)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static JsonHttpResult<StartupStatusDto> StartupStatus() => StartupGate.Completed
        ? TypedResults.Json(new StartupStatusDto("started"), AutopackHealthWriter.SnakeCase)
        : TypedResults.Json(new StartupStatusDto("starting"), AutopackHealthWriter.SnakeCase, statusCode: StatusCodes.Status503ServiceUnavailable);
}

/// <summary>/api/health/startup's body.</summary>
public sealed record StartupStatusDto(string Status);
