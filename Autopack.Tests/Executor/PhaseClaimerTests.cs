using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

[Trait("Category", "Db")]
public class PhaseClaimerTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly PhaseClaimer _claimer = new(TimeProvider.System);

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Claims_in_tier_then_phase_order_in_parallel_up_to_the_limit_and_tiers_are_barriers(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var ctx = db.CreateContext())
            await SeedAsync(ctx, "r1", null, [new("P1", "T1", ["a.txt"]), new("P2", "T1", ["b.txt"]), new("P3", "T1", ["c.txt"]), new("P4", "T2", ["d.txt"])]);

        await using var c = db.CreateContext();
        var first = await _claimer.ClaimNextAsync(c, "w1", Lease, maxParallelPerRun: 2);
        var second = await _claimer.ClaimNextAsync(c, "w2", Lease, maxParallelPerRun: 2);
        var third = await _claimer.ClaimNextAsync(c, "w3", Lease, maxParallelPerRun: 2);
        Assert.Equal("P1", first!.PhaseId);
        Assert.Equal("P2", second!.PhaseId);
        Assert.Null(third); // limit 2 reached

        await using var check = db.CreateContext();
        var run = await check.Runs.SingleAsync();
        Assert.Equal(RunState.Running, run.State);
        Assert.NotNull(run.StartedAt);
        var p1 = await check.Phases.SingleAsync(p => p.PhaseId == "P1");
        Assert.Equal(PhaseState.Executing, p1.State);
        Assert.Equal(first.WorkerId, p1.ClaimedBy);
        Assert.StartsWith("w1#", p1.ClaimedBy);
        Assert.True(p1.LeaseExpiresAt > DateTime.UtcNow);
        var events = await check.RunEvents.OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
        Assert.Equal(["run.created", "run.state", "phase.state", "phase.state"], events); // run.created: RunSeeder creates as POST /runs does
        Assert.True(await check.OutboxMessages.AnyAsync(m => m.Type == "phase.state"));

        // Finish P1 and P2: P3 (same tier) goes next; P4 waits for the whole of T1.
        await Finish(db, "P1");
        await Finish(db, "P2");
        Assert.Equal("P3", (await _claimer.ClaimNextAsync(c, "w1", Lease, 2))!.PhaseId);
        Assert.Null(await _claimer.ClaimNextAsync(c, "w1", Lease, 2));
        await Finish(db, "P3");
        Assert.Equal("P4", (await _claimer.ClaimNextAsync(c, "w1", Lease, 2))!.PhaseId);
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Overlapping_scopes_never_run_together_and_paused_or_cancelled_runs_are_skipped(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var ctx = db.CreateContext())
        {
            await SeedAsync(ctx, "r1", null, [new("P1", "T1", ["src"]), new("P2", "T1", ["src/a.txt"])], createdAt: DateTime.UtcNow.AddMinutes(-3));
            await SeedAsync(ctx, "paused", null, [new("P1", "T1", ["x"])], createdAt: DateTime.UtcNow.AddMinutes(-2));
            await SeedAsync(ctx, "cancelled", null, [new("P1", "T1", ["x"])], createdAt: DateTime.UtcNow.AddMinutes(-1));
            await ctx.Runs.Where(r => r.Id == "paused").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Paused));
            await ctx.Runs.Where(r => r.Id == "cancelled").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Cancelled));
        }
        await using var c = db.CreateContext();
        var first = await _claimer.ClaimNextAsync(c, "w1", Lease, 5);
        Assert.Equal(("r1", "P1"), (first!.RunId, first.PhaseId));
        Assert.Null(await _claimer.ClaimNextAsync(c, "w2", Lease, 5));
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Racing_claimers_never_take_the_same_phase(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var ctx = db.CreateContext())
        {
            await SeedAsync(ctx, "r1", null, Enumerable.Range(1, 8).Select(i => new PhaseSpec($"P{i}", "T1", [$"f{i}.txt"])));
            await SeedAsync(ctx, "r2", null, Enumerable.Range(1, 8).Select(i => new PhaseSpec($"P{i}", "T1", [$"f{i}.txt"])));
        }
        var claims = new System.Collections.Concurrent.ConcurrentBag<ClaimedPhase>();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            await using var ctx = db.CreateContext();
            for (var i = 0; i < 10; i++)
            {
                var claim = await _claimer.ClaimNextAsync(ctx, $"w{w}", Lease, maxParallelPerRun: 100);
                if (claim is not null) claims.Add(claim);
            }
        }));
        await Task.WhenAll(workers);
        Assert.Equal(16, claims.Count);
        Assert.Equal(16, claims.Select(c => (c.RunId, c.PhaseId)).Distinct().Count());
        await using var check = db.CreateContext();
        Assert.Equal(16, await check.Phases.CountAsync(p => p.State == PhaseState.Executing));
        // Every claim has exactly one phase.state event (no double claims hidden by a later overwrite).
        Assert.Equal(16, await check.RunEvents.CountAsync(e => e.Type == "phase.state"));
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task An_expired_lease_goes_back_to_the_queue_with_its_attempts_and_a_spent_phase_fails_the_run(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var ctx = db.CreateContext())
            await SeedAsync(ctx, "r1", null, [new("P1", "T1", ["a"], MaxAttempts: 3), new("P2", "T1", ["b"], MaxAttempts: 3)]);
        await using var c = db.CreateContext();
        var dead = await _claimer.ClaimNextAsync(c, "dead-executor", TimeSpan.FromMilliseconds(-1), 5);
        var alive = await _claimer.ClaimNextAsync(c, "alive", Lease, 5);
        await c.Phases.Where(p => p.PhaseId == "P1").ExecuteUpdateAsync(s => s.SetProperty(p => p.Attempts, 2));

        Assert.Equal(1, await _claimer.RequeueExpiredLeasesAsync(c));
        await using (var check = db.CreateContext())
        {
            var p1 = await check.Phases.SingleAsync(p => p.PhaseId == "P1");
            Assert.Equal(PhaseState.Queued, p1.State);
            Assert.Equal(2, p1.Attempts);
            Assert.Null(p1.ClaimedBy);
            Assert.Equal(PhaseState.Executing, (await check.Phases.SingleAsync(p => p.PhaseId == "P2")).State);
            var payloads = await check.RunEvents.Where(e => e.PhaseId == "P1").OrderBy(e => e.Sequence).Select(e => e.Payload).ToListAsync();
            Assert.Contains("LEASE_EXPIRED", payloads[^2]);
            Assert.Contains("\"state\":\"QUEUED\"", payloads[^1]);
        }
        Assert.False(await _claimer.RenewAsync(c, dead!, Lease));
        Assert.True(await _claimer.RenewAsync(c, alive!, Lease));

        // The third attempt's executor dies too: no attempts left, the phase fails for good and so does the run.
        var again = await _claimer.ClaimNextAsync(c, "dead-again", TimeSpan.FromMilliseconds(-1), 5);
        Assert.Equal("P1", again!.PhaseId);
        await c.Phases.Where(p => p.PhaseId == "P1").ExecuteUpdateAsync(s => s.SetProperty(p => p.Attempts, 3));
        Assert.Equal(1, await _claimer.RequeueExpiredLeasesAsync(c));
        await using (var check = db.CreateContext())
        {
            var p1 = await check.Phases.SingleAsync(p => p.PhaseId == "P1");
            Assert.Equal((PhaseState.Failed, "MAX_ATTEMPTS"), (p1.State, p1.FailureReason));
            Assert.Equal(RunState.Failed, (await check.Runs.SingleAsync()).State);
            Assert.True(await check.OutboxMessages.AnyAsync(m => m.Type == "run.failed"));
        }
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task A_stalled_executor_that_claims_its_requeued_phase_again_holds_a_new_claim_and_the_stale_one_is_fenced_out(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var ctx = db.CreateContext())
            await SeedAsync(ctx, "r1", null, [new("P1", "T1", ["a"])]);
        await using var c = db.CreateContext();
        var stale = await _claimer.ClaimNextAsync(c, "executor-a", TimeSpan.FromMilliseconds(-1), 5); // stalled past its lease
        Assert.Equal(1, await _claimer.RequeueExpiredLeasesAsync(c));
        var fresh = await _claimer.ClaimNextAsync(c, "executor-a", Lease, 5);

        Assert.Equal(stale!.PhaseRowId, fresh!.PhaseRowId);
        Assert.NotEqual(stale.WorkerId, fresh.WorkerId);
        Assert.False(await _claimer.RenewAsync(c, stale, Lease)); // the stalled runner learns it lost the phase...
        Assert.False(await _claimer.ReleaseAsync(c, stale, ReasonCodes.Released, "stale runner")); // ...and cannot disturb the new one
        Assert.True(await _claimer.RenewAsync(c, fresh, Lease));
        await using var check = db.CreateContext();
        var p1 = await check.Phases.SingleAsync();
        Assert.Equal((PhaseState.Executing, fresh.WorkerId), (p1.State, p1.ClaimedBy));
    }

    private static async Task Finish(TestDatabase db, string phaseId)
    {
        await using var ctx = db.CreateContext();
        await using var tx = await ctx.Database.BeginTransactionAsync();
        var p = await ctx.Phases.SingleAsync(x => x.PhaseId == phaseId);
        await StateChanges.MovePhaseAsync(ctx, p, PhaseState.Complete, DateTime.UtcNow);
        await ctx.SaveChangesAsync();
        await tx.CommitAsync();
    }
}
