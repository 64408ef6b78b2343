using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Outbox;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Outbox;

[Trait("Category", "Db")]
public class LeaderLeaseTests
{
    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task One_holder_at_a_time_and_the_term_grows_on_takeover(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var ctx = db.CreateContext();
        var period = TimeSpan.FromSeconds(1);
        Assert.Equal(1, await LeaderLease.TryAcquireAsync(ctx, "l", "A", period));
        Assert.Null(await LeaderLease.TryAcquireAsync(ctx, "l", "B", period));
        Assert.Equal(1, await LeaderLease.TryAcquireAsync(ctx, "l", "A", period)); // renewal keeps the term
        await Task.Delay(1300);
        Assert.Equal(2, await LeaderLease.TryAcquireAsync(ctx, "l", "B", period));
        Assert.Null(await LeaderLease.TryAcquireAsync(ctx, "l", "A", period));
        await LeaderLease.ReleaseAsync(ctx, "l", "B");
        Assert.Equal(3, await LeaderLease.TryAcquireAsync(ctx, "l", "A", period)); // released: no wait for expiry
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task A_paused_ex_leader_cannot_settle_what_it_claimed(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var ctx = db.CreateContext();
        await using (var tx = await ctx.Database.BeginTransactionAsync())
        {
            ctx.Runs.Add(new Run { Id = "r" });
            await ctx.SaveChangesAsync();
            OutboxWriter.Enqueue(ctx, "run.created", OutboxWriter.Webhook, new { run_id = "r" }, "r");
            await ctx.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var period = TimeSpan.FromSeconds(1);
        var termA = (await LeaderLease.TryAcquireAsync(ctx, LeaderLease.OutboxRelay, "A", period))!.Value;
        var claimed = await OutboxStore.ClaimAsync(ctx, "A", termA, 10, period);
        Assert.Single(claimed);
        Assert.Equal(1, claimed[0].Attempts);

        await Task.Delay(1300); // A "pauses" past its lease
        var termB = (await LeaderLease.TryAcquireAsync(ctx, LeaderLease.OutboxRelay, "B", TimeSpan.FromSeconds(30)))!.Value;
        Assert.Equal(termA + 1, termB);
        Assert.Equal(0, await OutboxStore.MarkDeliveredAsync(ctx, claimed[0], "A", termA)); // fenced
        Assert.Empty(await OutboxStore.ClaimAsync(ctx, "A", termA, 10, period)); // cannot claim either

        var reclaimed = await OutboxStore.ClaimAsync(ctx, "B", termB, 10, TimeSpan.FromSeconds(30)); // stuck PROCESSING is reclaimed
        Assert.Single(reclaimed);
        Assert.Equal(2, reclaimed[0].Attempts);
        Assert.Equal(1, await OutboxStore.MarkDeliveredAsync(ctx, reclaimed[0], "B", termB));
        ctx.ChangeTracker.Clear();
        Assert.Equal(OutboxStatus.Delivered, (await ctx.OutboxMessages.SingleAsync()).Status);
    }

    [Fact]
    public void Backoff_doubles_from_the_base_within_the_jitter_and_stops_at_the_cap()
    {
        var policy = new BackoffPolicy(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15), 0.2);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var expected = Math.Min(5 * Math.Pow(2, attempt - 1), 900);
            var d = policy.DelayAfter(attempt).TotalSeconds;
            Assert.InRange(d, expected * 0.8, expected * 1.2);
        }
        Assert.Equal(5, new BackoffPolicy(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15), 0).DelayAfter(1).TotalSeconds);
    }

    [Fact]
    public void Telegram_callback_data_fits_64_bytes_and_round_trips()
    {
        var id = Autopack.Core.Domain.ApprovalRequest.NewId();
        foreach (var approve in new[] { true, false })
        {
            var data = TelegramCallbackData.Encode(id, approve);
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(data) <= 64);
            Assert.True(TelegramCallbackData.TryParse(data, out var parsed, out var decision));
            Assert.Equal(id, parsed);
            Assert.Equal(approve, decision);
        }
        Assert.False(TelegramCallbackData.TryParse("x:apr_1", out _, out _));
        Assert.False(TelegramCallbackData.TryParse("a:../../etc", out _, out _));
        Assert.False(TelegramCallbackData.TryParse(null, out _, out _));
    }
}
