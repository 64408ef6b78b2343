using Autopack.Api.Apis;
using Autopack.Api.Services;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>The API's composition root: what it registers, its pipeline in order, and the table of contents of its routes.</summary>
public static class ApiServiceExtensions
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiLimitsOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiLimitsOptions>, ApiLimitsOptionsValidator>();
        services.AddOptions<ApiOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();

        services.AddProblemJson();
        services.AddOpenApi();
        services.AddAutopackAuth();
        services.AddRequestLimits();
        services.AddFrontDoor();

        services.AddSingleton(sp => new RepoPathPolicy(sp.GetRequiredService<IOptions<ApiOptions>>().Value.RepoRoots));
        services.AddSingleton(Core.Outbox.TelegramApprovers.From(builder.Configuration));
        services.AddSingleton<RunCreator>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<RunControl>();
        services.AddScoped<RunQueries>();
        services.AddScoped<RunVersions>();
        services.AddSingleton<RunReadCache>();
        services.AddSingleton<SseConnections>();
        services.AddSingleton<RunEventFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<RunEventFeed>());
        services.AddHostedService<ApprovalSweeper>();
        services.AddHostedService<RunCountCompactor>();
        services.AddHostedService<IdempotencyKeySweeper>();
        return builder;
    }

    public static WebApplication UseApiPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<BodySizeLimitMiddleware>();
        app.UseConfiguredCors();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        return app;
    }

    public static WebApplication MapAutopackApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        // One group so that every route shares the input guards.
        var api = app.MapGroup("").AddEndpointFilter<NulCharacterFilter>()
            // Every route can be rate limited and can meet a database that is down.
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapAuthApi();
        api.MapRunsApi();
        api.MapEventsApi().DisableRequestTimeout();
        api.MapApprovalsApi();
        api.MapKillSwitchesApi();
        api.MapAdminApi();
        api.MapOutboxAdminApi();
        api.MapTelegramWebhookApi();
        return app;
    }
}
