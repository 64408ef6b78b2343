using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Executor.Extensions;
using Autopack.Executor.Loop;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>The lease watcher on fake time: renews every third of the lease, signals a cancelled run and a lost lease, and stops the work.</summary>
public class LeaseWatcherTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static async Task<(TestDatabase Db, FakeTimeProvider Time, LeaseWatcher Watcher, ClaimedPhase Claim)> SetUpAsync()
    {
        var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var claimer = new PhaseClaimer(time);
        await using (var ctx = db.CreateContext())
            await RunSeeder.SeedAsync(ctx, "run-lease", null, [new PhaseSpec("P1", "T1", ["greet.sh"])]);
        ClaimedPhase claim;
        await using (var ctx = db.CreateContext())
            claim = (await claimer.ClaimNextAsync(ctx, "lease-test", Lease, 2))!;
        var options = new ExecutorOptions { WorktreeRoot = db.StateRoot, Lease = Lease };
        return (db, time, new LeaseWatcher(new FakeClockWaits.Factory(db), claimer, options, time, NullLogger<LeaseWatcher>.Instance), claim);
    }

    private static async Task<DateTime?> LeaseExpiresAtAsync(TestDatabase db)
    {
        await using var ctx = db.CreateContext();
        return (await ctx.Phases.AsNoTracking().SingleAsync()).LeaseExpiresAt;
    }

    [Fact]
    public async Task The_lease_is_renewed_every_third_of_it_counted_from_the_claim_and_a_cancelled_run_stops_the_work()
    {
        var (db, time, watcher, claim) = await SetUpAsync();
        await using var _ = db;
        using var work = new CancellationTokenSource();
        var watch = new PhaseWatch();
        var watching = watcher.WatchAsync(claim, watch, work);
        var claimedUntil = claim.LeaseExpiresAt;

        // Not renewed before a third of the lease has passed since the claim.
        var renewAt = claimedUntil - Lease + Lease / 3;
        await FakeClockWaits.AdvanceToAsync(time, renewAt - TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Assert.Equal(claimedUntil, await LeaseExpiresAtAsync(db));
        var renewed = await FakeClockWaits.AdvanceUntilDoneAsync(time, Task.Run(async () =>
        {
            while (await LeaseExpiresAtAsync(db) == claimedUntil) await Task.Delay(5);
            return (await LeaseExpiresAtAsync(db))!.Value;
        }), TimeSpan.FromSeconds(1));
        Assert.True(time.GetUtcNow().UtcDateTime >= renewAt, "renewed before a third of the lease");
        Assert.True(renewed > claimedUntil);
        Assert.Null(watch.Stop);

        await using (var ctx = db.CreateContext())
            await ctx.Runs.ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Cancelled));
        await FakeClockWaits.AdvanceUntilDoneAsync(time, watching.ContinueWith(_ => true), TimeSpan.FromSeconds(1), maxSteps: 5);
        Assert.Equal((StopKind.Cancelled, "run cancelled"), (watch.Stop, watch.StopReason));
        Assert.True(work.IsCancellationRequested);
    }

    [Fact]
    public async Task A_lease_taken_by_someone_else_is_lost_at_the_next_renewal_and_stops_the_work()
    {
        var (db, time, watcher, claim) = await SetUpAsync();
        await using var _ = db;
        using var work = new CancellationTokenSource();
        var watch = new PhaseWatch();
        var watching = watcher.WatchAsync(claim, watch, work);
        await using (var ctx = db.CreateContext())
            await ctx.Phases.ExecuteUpdateAsync(s => s.SetProperty(p => p.ClaimedBy, "another#12345678"));

        await FakeClockWaits.AdvanceUntilDoneAsync(time, watching.ContinueWith(_ => true), TimeSpan.FromSeconds(1), maxSteps: 30);
        Assert.Equal(StopKind.LeaseLost, watch.Stop);
        Assert.True(work.IsCancellationRequested);
    }
}
