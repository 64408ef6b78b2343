using System.Threading.RateLimiting;
using Autopack.Api.Apis;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>Body size (413), request timeout (408), concurrency with a queue timeout and per-client rate limits (429), all from <see cref="ApiLimitsOptions"/>.</summary>
public static class RequestLimitsExtensions
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiLimitsOptions>>((k, limits) => k.Limits.MaxRequestBodySize = limits.Value.MaxBodyBytes);
        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<ApiLimitsOptions>>((o, limits) => o.DefaultPolicy = TimeoutPolicy(limits.Value));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiLimitsOptions>>((o, limits) => ConfigureRateLimits(o, limits.Value));
        return services;
    }

    /// <summary>The real client address (after trusted forwarded headers).</summary>
    public static string ClientKey(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static RequestTimeoutPolicy TimeoutPolicy(ApiLimitsOptions limits) => new()
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
        Microsoft.Extensions.Hosting.Extensions.IsProbe(ctx.Request.Path) || ctx.GetEndpoint()?.Metadata.GetMetadata<SseEndpointMetadata>() is not null;
}
