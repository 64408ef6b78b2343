using System.Net;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>What the API believes of the proxy in front of it (forwarded headers) and which browser origins it serves (CORS).</summary>
public static class FrontDoorExtensions
{
    public const string CorsPolicy = "configured-origins";

    public static IServiceCollection AddFrontDoor(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ApiLimitsOptions>>((o, limits) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only configured proxies are believed; by default nobody is, not even loopback.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var entry in limits.Value.TrustedProxyList)
            {
                if (entry.Contains('/')) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                else o.KnownProxies.Add(IPAddress.Parse(entry));
            }
        });
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<ApiLimitsOptions>>((o, limits) =>
        {
            if (limits.Value.CorsOriginList is { Count: > 0 } origins)
                o.AddPolicy(CorsPolicy, p => p.WithOrigins([.. origins]).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Retry-After"));
        });
        return services;
    }

    /// <summary>CORS only when origins are configured.</summary>
    public static WebApplication UseConfiguredCors(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ApiLimitsOptions>>().Value.CorsOriginList.Count > 0) app.UseCors(CorsPolicy);
        return app;
    }
}
