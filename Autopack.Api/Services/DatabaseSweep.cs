using Autopack.Core.Data;

namespace Autopack.Api.Services;

/// <summary>
/// A chore every API replica does on the database at a fixed interval, each time on a fresh context. A failed sweep is
/// logged and tried again at the next interval, so a database outage never stops the loop.
/// </summary>
public abstract class DatabaseSweep(IAutopackDbFactory dbFactory, TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected TimeProvider Time { get; } = time;

    protected abstract Task SweepAsync(AutopackDbContext db, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var db = dbFactory.Create();
                await SweepAsync(db, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "{Sweep} failed: {Error}", GetType().Name, ex.GetBaseException().Message);
            }
            try { await Task.Delay(Interval, Time, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
