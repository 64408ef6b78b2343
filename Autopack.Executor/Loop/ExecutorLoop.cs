using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Autopack.Executor.Models;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>
/// The outer loop: requeue phases of dead executors, then claim queued phases while this process has free
/// slots, each worked by a <see cref="PhaseRunner"/>. Without a model provider, or with a kill switch on, it
/// claims nothing and writes the reason on the waiting phases (visible in the API and the dashboard).
/// </summary>
public sealed class ExecutorLoop(IAutopackDbFactory dbFactory, PhaseClaimer claimer, PhaseRunner runner, ExecutorOptions options,
    ModelOptions models, KillSwitchReader killSwitches, ILogger<ExecutorLoop> logger)
{
    private readonly List<Task> _running = [];

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Executor {Worker} working: {Slots} slot(s), up to {Parallel} parallel phase(s) per run, providers: {Providers}",
            options.WorkerId, options.Slots, options.MaxParallelPhasesPerRun, models.Any ? string.Join(", ", models.Providers.Keys) : "none");
        if (!models.Any) logger.LogWarning("{Reason}", ModelOptions.NoProviderReason);
        var pacer = new PollPacer(options.PollInterval, ct);
        while (!ct.IsCancellationRequested)
        {
            try { await TickAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception ex) { logger.LogError(ex, "Executor loop iteration failed"); }
            _running.RemoveAll(t => t.IsCompleted);
            await pacer.WaitAsync(_running);
            _running.RemoveAll(t => t.IsCompleted);
        }
        // Shutdown: each runner sees the cancellation and finishes or releases its phase.
        await Task.WhenAll(_running);
    }

    public async Task TickAsync(CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        var requeued = await claimer.RequeueExpiredLeasesAsync(db, ct);
        if (requeued > 0) logger.LogWarning("Requeued {Count} phase(s) whose executor stopped renewing its lease", requeued);

        string? waitReason = null;
        if (!models.Any) waitReason = ModelOptions.NoProviderReason;
        else if (await killSwitches.IsEngagedAsync(KillSwitchNames.DisableAutonomous, ct))
            waitReason = "waiting: kill switch " + ((await killSwitches.GetAllAsync(ct)).GetValueOrDefault(KillSwitchNames.DisableAll) ? KillSwitchNames.DisableAll : KillSwitchNames.DisableAutonomous) + " is engaged";
        if (waitReason is not null)
        {
            await MarkWaitingAsync(db, waitReason, ct);
            return;
        }
        while (_running.Count(t => !t.IsCompleted) < options.Slots && !ct.IsCancellationRequested)
        {
            var claim = await claimer.ClaimNextAsync(db, options.WorkerId, options.Lease, options.MaxParallelPhasesPerRun, ct);
            if (claim is null) break;
            logger.LogInformation("Claimed phase {Run}/{Phase}", claim.RunId, claim.PhaseId);
            _running.Add(Task.Run(() => runner.RunAsync(claim, ct), CancellationToken.None));
        }
    }

    private static async Task MarkWaitingAsync(AutopackDbContext db, string reason, CancellationToken ct)
    {
        RunState[] active = [RunState.Queued, RunState.Running];
        await db.Phases
            .Where(p => p.State == PhaseState.Queued && (p.StatusReason == null || p.StatusReason != reason)
                && db.Runs.Any(r => r.Id == p.RunId && active.Contains(r.State)))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, reason), ct);
    }
}
