using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire's ServiceDefaults, built from the packages that exist here: configuration and secrets,
/// OpenTelemetry, health, service discovery, resilient HttpClients, JSON logs.
/// </summary>
public static class Extensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, string component) where TBuilder : IHostApplicationBuilder
    {
        var settings = builder.AddAutopackSettings(component);
        builder.ConfigureJsonLogging();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        builder.AddAutopackData(settings.Database);
        if (settings.Qdrant is { } qdrant) builder.AddQdrantClient(qdrant);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<KillSwitchReader>();
        builder.Services.AddSingleton<AutopackHealth>();
        builder.Services.AddHostedService<StartupGate>();
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, RequestLogStartupFilter>();
        return builder;
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

    private static void ConfigureJsonLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Result", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Mvc", LogLevel.Warning);
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(AutopackMeters.Name))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(AutopackMeters.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsHealthPath(ctx.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        // The OTLP exporter only when a collector is configured, as in the Aspire template.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    internal static bool IsHealthPath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments("/api/health");
}
