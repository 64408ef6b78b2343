using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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
}
