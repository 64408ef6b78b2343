using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Db")]
public class KillSwitchReaderTests
{
    [Fact]
    public async Task A_switch_turned_on_is_seen_after_invalidate_and_readers_racing_invalidate_never_fail()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var factory = new ServiceCollection().AddAutopackData(db.Connection).BuildServiceProvider().GetRequiredService<IAutopackDbFactory>();
        var reader = new KillSwitchReader(factory, TimeProvider.System);

        Assert.False(await reader.IsEngagedAsync(KillSwitchNames.DisableMemory));
        await using (var ctx = db.CreateContext())
        {
            ctx.KillSwitches.Add(new KillSwitch { Name = KillSwitchNames.DisableMemory, Enabled = true });
            await ctx.SaveChangesAsync();
        }
        Assert.False(await reader.IsEngagedAsync(KillSwitchNames.DisableMemory)); // still the cached read
        reader.Invalidate();
        Assert.True(await reader.IsEngagedAsync(KillSwitchNames.DisableMemory));

        // Executors check switches on many threads while an operator's toggle invalidates the cache: a reader
        // must never see the cache vanish between its freshness check and its use (CI saw ArgumentNullException).
        using var stop = new CancellationTokenSource();
        var invalidator = Task.Run(() => { while (!stop.IsCancellationRequested) reader.Invalidate(); });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
                Assert.True(await reader.IsEngagedAsync(KillSwitchNames.DisableMemory));
        })).ToArray();
        try { await Task.WhenAll(readers); }
        finally { stop.Cancel(); await invalidator; }
    }

    [Fact]
    public async Task A_switch_turned_on_elsewhere_is_seen_exactly_when_the_cache_reaches_its_age()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var factory = new ServiceCollection().AddAutopackData(db.Connection).BuildServiceProvider().GetRequiredService<IAutopackDbFactory>();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var reader = new KillSwitchReader(factory, clock);

        Assert.False(await reader.IsEngagedAsync(KillSwitchNames.DisableAutonomous));
        await using (var ctx = db.CreateContext()) // another replica's toggle: no Invalidate() here
        {
            ctx.KillSwitches.Add(new KillSwitch { Name = KillSwitchNames.DisableAll, Enabled = true });
            await ctx.SaveChangesAsync();
        }
        clock.Advance(KillSwitchReader.MaxAge - TimeSpan.FromTicks(1));
        Assert.False(await reader.IsEngagedAsync(KillSwitchNames.DisableAutonomous)); // still the cached read
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(await reader.IsEngagedAsync(KillSwitchNames.DisableAutonomous)); // disable_all engages every switch
    }
}
