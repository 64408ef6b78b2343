using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Autopack.Api.Apis;
using Autopack.Api.Auth;
using Autopack.Api.Services;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

public static class ApiServiceExtensions
{
    public const string CorsPolicy = "configured-origins";

    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiLimitsOptions>().Configure<IConfiguration>(ApiLimitsOptions.Bind).ValidateDataAnnotations().ValidateOnStart();
        var limits = new ApiLimitsOptions();
        ApiLimitsOptions.Bind(limits, builder.Configuration);

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            // A member the contract does not know (a typo, or `depends_on` that does not exist) is an error, never silently dropped.
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
        });
        // Binding failures (malformed JSON, wrong types) reach the exception handler, which gives them a code.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblem.Customize);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<NulCharacterFilter>();
        services.AddOpenApi();

        services.AddSingleton<JwtKeys>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<IAuthorizationHandler, MinimumRoleHandler>();
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = "autopack";
                o.DefaultChallengeScheme = "autopack";
            })
            // One scheme that picks API key or bearer token by header, so either works on every route.
            .AddPolicyScheme("autopack", "API key or bearer token", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.Header) ? ApiKeyAuthenticationHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((o, issuer) =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = issuer.ValidationParameters();
            });
        services.AddAuthorization(AuthPolicies.Add);

        services.AddRequestTimeouts(o =>
        {
            o.DefaultPolicy = new Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromMilliseconds(limits.RequestTimeoutMs),
                TimeoutStatusCode = StatusCodes.Status408RequestTimeout,
                WriteTimeoutResponse = async ctx =>
                {
                    var problems = ctx.RequestServices.GetRequiredService<IProblemDetailsService>();
                    var pd = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 408, Detail = $"The request took longer than {limits.RequestTimeoutMs} ms." };
                    pd.Extensions["code"] = ProblemCodes.RequestTimeout;
                    await problems.WriteAsync(new ProblemDetailsContext { HttpContext = ctx, ProblemDetails = pd });
                },
            };
        });
        services.AddRateLimiter(o => ConfigureRateLimits(o, limits));

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only configured proxies are believed; by default nobody is, not even loopback.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var entry in (limits.TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (entry.Contains('/')) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                else o.KnownProxies.Add(IPAddress.Parse(entry));
            }
        });
        var origins = (limits.CorsOrigins ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (origins.Length > 0)
            services.AddCors(o => o.AddPolicy(CorsPolicy, p => p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Retry-After")));

        // Built at start so a wrong AUTOPACK_REPO_ROOTS stops the service instead of failing the first create.
        services.AddSingleton(new RepoPathPolicy(builder.Configuration["AUTOPACK_REPO_ROOTS"]));
        services.AddSingleton(Core.Outbox.TelegramApprovers.From(builder.Configuration));
        services.AddSingleton<RunCreator>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<RunControl>();
        services.AddScoped<RunQueries>();
        services.AddSingleton<SseConnections>();
        services.AddSingleton<RunEventFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<RunEventFeed>());
        services.AddHostedService<ApprovalSweeper>();
        services.AddHostedService<AuthBootstrap>();
        return builder;
    }

    private static void ConfigureRateLimits(RateLimiterOptions o, ApiLimitsOptions limits)
    {
        var concurrency = new QueueTimeoutLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.MaxConcurrentRequests,
            QueueLimit = limits.RequestQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }, TimeSpan.FromMilliseconds(limits.RequestQueueTimeoutMs));
        o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(ctx => Exempt(ctx)
                ? RateLimitPartition.GetNoLimiter("exempt")
                : RateLimitPartition.Get("process", _ => concurrency)),
            PartitionedRateLimiter.Create<HttpContext, string>(ctx => Exempt(ctx)
                ? RateLimitPartition.GetNoLimiter("exempt")
                : RateLimitPartition.GetFixedWindowLimiter(ClientKey(ctx), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.RateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
                })));
        o.AddPolicy(AuthApi.LoginRateLimitPolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(ClientKey(ctx), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limits.LoginRateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
        }));
        o.OnRejected = async (ctx, ct) =>
        {
            var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            var http = ctx.HttpContext;
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
            var pd = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 429, Detail = "Too many requests; retry after the time in Retry-After." };
            pd.Extensions["code"] = ProblemCodes.RateLimited;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = pd });
        };
    }

    /// <summary>Health probes and event streams are not rate limited (streams have their own caps).</summary>
    private static bool Exempt(HttpContext ctx) =>
        ctx.Request.Path.StartsWithSegments("/health") || ctx.Request.Path.StartsWithSegments("/alive") || ctx.Request.Path.StartsWithSegments("/api/health")
        || ctx.GetEndpoint()?.Metadata.GetMetadata<SseEndpointMetadata>() is not null;

    /// <summary>The real client address (after trusted forwarded headers).</summary>
    public static string ClientKey(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public static WebApplication UseApiPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<BodySizeLimitMiddleware>();
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null) app.UseCors(CorsPolicy);
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
        var api = app.MapGroup("").AddEndpointFilter<NulCharacterFilter>();
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
