using Autopack.Api.Apis;
using Autopack.Api.Services;
using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Autopack.Tests.Foundation;

/// <summary>
/// Approval deadlines on the registered clock: the contexts from <see cref="IAutopackDbFactory"/> carry it, so a fake clock
/// decides when an approval is due, what its rows and events are stamped with, and nothing sleeps.
/// </summary>
public class ApprovalDeadlineTests
{
    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task An_approval_expires_as_a_rejection_exactly_at_its_deadline_on_the_registered_clock(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var services = new ServiceCollection().AddAutopackData(db.Connection).AddSingleton<TimeProvider>(clock)
            .AddSingleton<RunCreator>().AddSingleton(Options.Create(new JsonOptions())).BuildServiceProvider();
        var factory = services.GetRequiredService<IAutopackDbFactory>();
        await services.GetRequiredService<RunCreator>().CreateAsync(new CreateRunRequest("r1", null, null, null, null, null,
            [new TierRequest("T1", null, null)], [new PhaseRequest("P1", "T1", null, null, null, null, null, null)]), null, default);

        ApprovalRequest early, late;
        await using (var ctx = factory.Create())
        {
            early = await ApprovalWorkflow.RequestAsync(ctx, "r1", "P1", ApprovalKind.ScopeViolation, "check", null, TimeSpan.FromMinutes(10));
            late = await ApprovalWorkflow.RequestAsync(ctx, "r1", "P1", ApprovalKind.ScopeViolation, "check later", null, TimeSpan.FromMinutes(30));
        }
        Assert.Equal(clock.GetUtcNow().UtcDateTime.AddMinutes(10), early.ExpiresAt);

        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(10));
        await using (var ctx = factory.Create()) Assert.Equal(0, await ApprovalWorkflow.ExpireDueAsync(ctx));
        clock.Advance(TimeSpan.FromTicks(10));
        await using (var ctx = factory.Create()) Assert.Equal(1, await ApprovalWorkflow.ExpireDueAsync(ctx));

        // Past its deadline, a late click cannot approve even before the sweeper ran.
        clock.Advance(TimeSpan.FromMinutes(20));
        await using (var ctx = factory.Create())
        {
            var click = await ApprovalWorkflow.DecideAsync(ctx, late.Id, approve: true, "alice", "dashboard");
            Assert.Equal((ApprovalDecisionOutcome.Expired, ApprovalStatus.Expired, "sweeper"), (click.Outcome, click.Approval!.Status, click.Approval.DecidedBy));
            Assert.Equal(clock.GetUtcNow().UtcDateTime, click.Approval.DecidedAt);
        }

        await using var check = db.CreateContext();
        var decided = await check.RunEvents.AsNoTracking().Where(e => e.Type == "approval.decided").OrderBy(e => e.Sequence).Select(e => e.CreatedAt).ToListAsync();
        Assert.Equal([clock.Start.UtcDateTime.AddMinutes(10), clock.GetUtcNow().UtcDateTime], decided); // stamped by the same clock
    }
}
