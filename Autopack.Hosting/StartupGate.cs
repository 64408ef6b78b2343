using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Autopack.Hosting;

/// <summary>
/// Runs before anything else starts: logs the database identity and refuses to go on against a missing or
/// outdated schema (or applies migrations when AUTOPACK_DB_BOOTSTRAP=1).
/// </summary>
internal sealed class StartupGate(AutopackSettings settings, IAutopackDbFactory dbFactory, ILogger<StartupGate> logger) : IHostedService
{
    public static volatile bool Completed;

    public async Task StartAsync(CancellationToken ct)
    {
        foreach (var warning in settings.Warnings) logger.LogWarning("{Warning}", warning);
        logger.LogInformation("Autopack {Component} {Version} starting; database identity {DatabaseIdentity} ({Database})",
            settings.Component, settings.Version, settings.Database.Identity, settings.Database.MaskedUrl);
        if (settings.Database.Provider == DatabaseProvider.Sqlite)
            Directory.CreateDirectory(Path.GetDirectoryName(settings.Database.MaskedUrl["sqlite://".Length..])!);
        await using var db = dbFactory.Create();
        await SchemaGuard.EnsureAsync(db, settings.Bootstrap, logger, ct);
        Completed = true;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
