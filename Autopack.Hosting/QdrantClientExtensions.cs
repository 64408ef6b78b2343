using Autopack.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Qdrant.Client;

namespace Autopack.Hosting;

/// <summary>
/// What Aspire's Qdrant client integration (<c>AddQdrantClient("qdrant")</c>, not served here) registers: one
/// <see cref="QdrantClient"/> singleton and a health check that calls <see cref="QdrantClient.HealthAsync"/>. The
/// endpoint comes from <see cref="QdrantConnection"/>, so <c>ConnectionStrings__qdrant</c> and
/// <c>QDRANT_URL</c>/<c>QDRANT_API_KEY(_FILE)</c> both work.
/// </summary>
public static class QdrantClientExtensions
{
    public const string TimeoutVariable = "AUTOPACK_QDRANT_TIMEOUT_MS";
    public const int DefaultTimeoutMs = 10_000;

    public static IHostApplicationBuilder AddQdrantClient(this IHostApplicationBuilder builder, QdrantConnection connection)
    {
        var timeout = ReadTimeout(builder.Configuration[TimeoutVariable]);
        builder.Services.AddSingleton(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            // Aspire's Qdrant resource gives the gRPC endpoint (6334); 6333 is the REST port and answers no gRPC call.
            if (connection.Endpoint.Port == 6333)
                loggers.CreateLogger(typeof(QdrantClientExtensions)).LogWarning(
                    "Qdrant endpoint {Endpoint} uses port 6333, Qdrant's REST port; this client speaks gRPC (6334 by default)", connection.Endpoint);
            return new QdrantClient(connection.Endpoint, connection.ApiKey, timeout, loggers);
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(QdrantHealthCheck.Name,
            sp => new QdrantHealthCheck(sp.GetRequiredService<QdrantClient>()), HealthStatus.Degraded, tags: null, timeout: AutopackHealthWriter.ProbeTimeout));
        return builder;
    }

    private static TimeSpan ReadTimeout(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return TimeSpan.FromMilliseconds(DefaultTimeoutMs);
        if (int.TryParse(raw, out var ms) && ms >= 50) return TimeSpan.FromMilliseconds(ms);
        throw new InvalidOperationException($"{TimeoutVariable}='{raw}' must be an integer ≥ 50 (milliseconds).");
    }
}
