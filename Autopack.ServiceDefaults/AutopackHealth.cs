using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>The /health contract: database identity and reachability, Qdrant, kill switches, version.</summary>
public sealed class AutopackHealth(AutopackSettings settings, IAutopackDbFactory dbFactory, KillSwitchReader killSwitches,
    HealthCheckService healthChecks, TimeProvider time, ILogger<AutopackHealth> logger, SandboxHealth? sandbox = null)
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthReport> CheckAsync(CancellationToken ct)
    {
        var databaseUp = await ProbeDatabaseAsync(ct);
        IReadOnlyDictionary<string, bool> switches = new Dictionary<string, bool>();
        if (databaseUp)
        {
            try { switches = await killSwitches.GetAllAsync(ct); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Kill switches unreadable"); }
        }
        var qdrant = await ProbeQdrantAsync(ct);
        var status = !databaseUp ? "unhealthy" : qdrant == "unreachable" ? "degraded" : "healthy";
        return new HealthReport(status, time.GetUtcNow().UtcDateTime, settings.Database.Identity, databaseUp ? "connected" : "unreachable",
            qdrant, switches, settings.Version, "autopack", settings.Component, sandbox?.Status);
    }

    private async Task<bool> ProbeDatabaseAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(ProbeTimeout);
        try
        {
            await using var db = dbFactory.Create();
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cts.Token);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Database probe failed: {Error}", ex.GetBaseException().Message);
            return false;
        }
    }

    /// <summary>The registered <see cref="QdrantHealthCheck"/> (bounded by its <see cref="ProbeTimeout"/>); embedded when Qdrant is not configured.</summary>
    private async Task<string> ProbeQdrantAsync(CancellationToken ct)
    {
        if (settings.Qdrant is null) return "embedded";
        var report = await healthChecks.CheckHealthAsync(r => r.Name == QdrantHealthCheck.Name, ct);
        if (!report.Entries.TryGetValue(QdrantHealthCheck.Name, out var entry)) throw new InvalidOperationException("Qdrant is configured but its health check is not registered (AddQdrantClient).");
        if (entry.Status == HealthStatus.Healthy) return "connected";
        logger.LogWarning("Qdrant probe failed: {Error}", entry.Description);
        return "unreachable";
    }
}

public sealed record HealthReport(string Status, DateTime Timestamp, string DatabaseIdentity, string Database, string Qdrant,
    IReadOnlyDictionary<string, bool> KillSwitches, string Version, string Service, string Component,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Sandbox = null);
