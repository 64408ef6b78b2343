using Autopack.Core.Approvals;
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

/// <summary>The approval wait on fake time: a decision ends it, expiry fails it closed without the sweeper, the wall clock stops meanwhile.</summary>
public class ApprovalGateTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(15);

    private static async Task<(TestDatabase Db, FakeTimeProvider Time, ApprovalGate Gate, ClaimedPhase Claim)> SetUpAsync()
    {
        var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using (var ctx = db.CreateContext())
            await RunSeeder.SeedAsync(ctx, "run-gate", null, [new PhaseSpec("P1", "T1", ["greet.sh"])]);
        ClaimedPhase claim;
        await using (var ctx = db.CreateContext())
            claim = (await new PhaseClaimer(time).ClaimNextAsync(ctx, "gate-test", TimeSpan.FromSeconds(30), 2))!;
        var options = new ExecutorOptions { WorktreeRoot = db.StateRoot, ApprovalTtl = Ttl, ApprovalPollInterval = TimeSpan.FromSeconds(1) };
        var gate = new ApprovalGate(new FakeClockWaits.Factory(db), options, time, NullLogger<ApprovalGate>.Instance);
        return (db, time, gate, claim);
    }

    [Fact]
    public async Task An_approval_past_its_expiry_fails_closed_before_the_sweeper_and_the_wait_is_not_wall_clock()
    {
        var (db, time, gate, claim) = await SetUpAsync();
        await using var _ = db;
        var clock = new PhaseClock(time);
        var waiting = gate.AwaitAsync(claim, ApprovalKind.ScopeViolation, "README.md is outside the scope", "diff", clock, default);

        var approved = await FakeClockWaits.AdvanceUntilDoneAsync(time, waiting, TimeSpan.FromMinutes(1));

        Assert.False(approved);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"the wait counted {clock.Elapsed} of wall clock");
        await using var ctx = db.CreateContext();
        var approval = await ctx.Approvals.AsNoTracking().SingleAsync();
        Assert.Equal(ApprovalStatus.Pending, approval.Status); // no sweeper ran: the gate itself refused it
        Assert.True(time.GetUtcNow().UtcDateTime >= approval.ExpiresAt);
        Assert.Null((await ctx.Phases.AsNoTracking().SingleAsync()).StatusReason);
    }

    [Fact]
    public async Task A_decision_ends_the_wait_and_the_phase_said_what_it_waited_for_meanwhile()
    {
        var (db, time, gate, claim) = await SetUpAsync();
        await using var _ = db;
        var waiting = gate.AwaitAsync(claim, ApprovalKind.ScopeViolation, "README.md is outside the scope", "diff", new PhaseClock(time), default);
        ApprovalRequest? approval = null;
        await using (var ctx = db.CreateContext())
        {
            // The request is written before the first poll: no time needs to pass for it.
            for (var i = 0; i < 500 && approval is null; i++)
            {
                approval = await ctx.Approvals.AsNoTracking().SingleOrDefaultAsync();
                if (approval is null) await Task.Delay(10);
            }
            Assert.NotNull(approval);
            Assert.Contains(approval.Id, (await ctx.Phases.AsNoTracking().SingleAsync()).StatusReason);
            Assert.False(waiting.IsCompleted);
            await ApprovalWorkflow.DecideAsync(ctx, approval.Id, true, "alice", "dashboard");
        }

        Assert.True(await FakeClockWaits.AdvanceUntilDoneAsync(time, waiting, TimeSpan.FromSeconds(1)));
        Assert.True(time.GetUtcNow().UtcDateTime < approval.ExpiresAt); // decided, not expired
        await using var check = db.CreateContext();
        Assert.Null((await check.Phases.AsNoTracking().SingleAsync()).StatusReason);
    }
}
