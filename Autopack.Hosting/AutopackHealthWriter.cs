using System.Text.Json;
using System.Text.Json.Serialization;
using Autopack.Core.Configuration;
using Autopack.Core.Events;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Autopack.Hosting;

/// <summary>
/// Writes the /health contract from the health checks' report: database identity and reachability, Qdrant, kill switches,
/// version. Unhealthy (the database is down) answers 503; Qdrant unreachable is only degraded (200).
/// </summary>
public static class AutopackHealthWriter
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    public static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        var services = http.RequestServices;
        var settings = services.GetRequiredService<AutopackSettings>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AutopackHealthWriter));
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
            logger.LogWarning(entry.Exception, "Health check {Check} is {Status}: {Error}", name, entry.Status, entry.Description);

        var databaseUp = report.Entries.TryGetValue(DatabaseHealthCheck.Name, out var database) && database.Status == HealthStatus.Healthy;
        IReadOnlyDictionary<string, bool> switches = new Dictionary<string, bool>();
        if (databaseUp)
        {
            try { switches = await services.GetRequiredService<KillSwitchReader>().GetAllAsync(http.RequestAborted); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Kill switches unreadable"); }
        }
        var sandbox = services.GetService<SandboxHealth>();
        var body = new AutopackHealthReport(Status(report.Status), services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
            settings.Database.Identity, databaseUp ? "connected" : "unreachable", Qdrant(settings, report), switches, settings.Version,
            "autopack", settings.Component, sandbox?.Status, sandbox?.Network, sandbox?.Limits);
        http.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(http.Response.Body, body, SnakeCase, http.RequestAborted);
    }

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    /// <summary>The registered <see cref="QdrantHealthCheck"/>; embedded when Qdrant is not configured.</summary>
    private static string Qdrant(AutopackSettings settings, HealthReport report)
    {
        if (settings.Qdrant is null) return "embedded";
        if (!report.Entries.TryGetValue(QdrantHealthCheck.Name, out var entry))
            throw new InvalidOperationException("Qdrant is configured but its health check is not registered (AddQdrantClient).");
        return entry.Status == HealthStatus.Healthy ? "connected" : "unreachable";
    }
}

/// <summary>The /health body (snake_case on the wire).</summary>
public sealed record AutopackHealthReport(string Status, DateTime Timestamp, string DatabaseIdentity, string Database, string Qdrant,
    IReadOnlyDictionary<string, bool> KillSwitches, string Version, string Service, string Component,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sandbox = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SandboxNetwork = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SandboxLimits = null);
