using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>
/// Beside a working phase: renews its lease every third of the lease and reads its run's state about every second.
/// A lost lease or a cancelled run signals why on the <see cref="PhaseWatch"/> and cancels the work, which stops the
/// attempt (and kills its test process group) within about a second.
/// </summary>
public sealed class LeaseWatcher(IAutopackDbFactory dbFactory, PhaseClaimer claimer, ExecutorOptions options, TimeProvider time, ILogger<LeaseWatcher> logger)
{
    public async Task WatchAsync(ClaimedPhase claim, PhaseWatch watch, CancellationTokenSource work)
    {
        var renewEvery = options.Lease / 3;
        var lastRenew = new DateTimeOffset(claim.LeaseExpiresAt) - options.Lease; // the lease runs from the claim, not from this watcher's start
        var period = TimeSpan.FromMilliseconds(Math.Min(1000, renewEvery.TotalMilliseconds / 2));
        while (!work.IsCancellationRequested)
        {
            try { await Task.Delay(period, time, work.Token); } catch (OperationCanceledException) { return; }
            try
            {
                await using var db = dbFactory.Create();
                if (time.GetUtcNow() - lastRenew >= renewEvery)
                {
                    if (!await claimer.RenewAsync(db, claim, options.Lease, work.Token))
                    {
                        watch.Signal(StopKind.LeaseLost, "the lease was lost (requeued by another executor or changed by an operator)");
                        await work.CancelAsync();
                        return;
                    }
                    lastRenew = time.GetUtcNow();
                }
                var state = await db.Runs.Where(r => r.Id == claim.RunId).Select(r => r.State).SingleAsync(work.Token);
                if (state == RunState.Cancelled)
                {
                    watch.Signal(StopKind.Cancelled, "run cancelled");
                    await work.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) { return; }
            catch (Exception ex) { logger.LogWarning(ex, "Lease/run watch failed: {Error}", ex.GetBaseException().Message); }
        }
    }
}

/// <summary>Why the attempt was stopped from outside (set by the watcher before it cancels).</summary>
public sealed class PhaseWatch
{
    public StopKind? Stop { get; private set; }
    public string? StopReason { get; private set; }
    public void Signal(StopKind kind, string reason) { StopReason = reason; Stop = kind; }
}
