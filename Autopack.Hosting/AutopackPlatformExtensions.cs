using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Autopack.Hosting;

/// <summary>What every Autopack service registers beside Aspire's ServiceDefaults.</summary>
public static class AutopackPlatformExtensions
{
    /// <summary>
    /// Settings and secrets, the database, Qdrant (when configured), kill switches, the startup gate, the request log and
    /// the /health contract's checks and writer. Returns the settings, so a service's own registration takes them as an argument.
    /// </summary>
    /// <param name="databaseRetry">How the service retries transient database failures (<see cref="DatabaseRetry.Background"/> unless given).</param>
    public static AutopackSettings AddAutopackPlatform(this IHostApplicationBuilder builder, string component, DatabaseRetry? databaseRetry = null)
    {
        var settings = builder.AddAutopackSettings(component);
        builder.AddAutopackData(settings.Database, databaseRetry);
        if (settings.Qdrant is { } qdrant) builder.AddQdrantClient(qdrant);
        builder.Services.AddSingleton<KillSwitchReader>();
        builder.Services.AddHostedService<StartupGate>();
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, RequestLogStartupFilter>();

        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(DatabaseHealthCheck.Name,
            sp => ActivatorUtilities.CreateInstance<DatabaseHealthCheck>(sp), HealthStatus.Unhealthy, tags: null, timeout: AutopackHealthWriter.ProbeTimeout));
        // Every check, Aspire's EF Core check included, answers within the probe timeout (a check without one could hold /health).
        builder.Services.PostConfigure<HealthCheckServiceOptions>(o =>
        {
            foreach (var registration in o.Registrations.Where(r => r.Timeout <= TimeSpan.Zero || r.Timeout > AutopackHealthWriter.ProbeTimeout))
                registration.Timeout = AutopackHealthWriter.ProbeTimeout;
        });
        // /health (mapped by MapDefaultEndpoints) and /api/health/ready answer with Autopack's JSON; 503 only when unhealthy.
        builder.Services.Configure<HealthCheckOptions>(o => o.ResponseWriter = AutopackHealthWriter.WriteAsync);
        return settings;
    }

    /// <summary>
    /// Resolves <c>*_FILE</c> secrets into configuration (so <c>X_FILE</c> beats <c>X</c> everywhere), checks
    /// production rules, and registers <see cref="AutopackSettings"/>. Throws with every problem named.
    /// </summary>
    public static AutopackSettings AddAutopackSettings(this IHostApplicationBuilder builder, string component)
    {
        var settings = AutopackSettings.Load(builder.Configuration, component, BuildInfo.Current.Version);
        builder.Configuration.AddInMemoryCollection(settings.Secrets.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
        builder.Services.AddSingleton(settings);
        return settings;
    }
}
