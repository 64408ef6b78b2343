using Autopack.Executor.Loop;
using Xunit.Abstractions;

namespace Autopack.Tests.Executor;

[Trait("Category", "Unit")]
public class PollPacerTests(ITestOutputHelper output)
{
    /// <summary>
    /// 100,000 passes of the loop's wait keep memory flat. A stop task made per pass stays registered on the stopping
    /// token until shutdown: ~280 bytes a pass, 28 MB here.
    /// </summary>
    [Fact]
    public async Task Many_passes_of_the_loop_wait_retain_no_memory_until_shutdown()
    {
        using var stopping = new CancellationTokenSource();
        var pacer = new PollPacer(TimeSpan.Zero, stopping.Token);
        var running = new List<Task> { Task.Delay(Timeout.Infinite, stopping.Token) }; // a runner still working
        await pacer.WaitAsync(running);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 100_000; i++) await pacer.WaitAsync(running);
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        output.WriteLine($"{retained:N0} bytes retained after 100,000 passes");
        Assert.True(retained < 2_000_000, $"{retained:N0} bytes retained after 100,000 passes");

        // And the wait still ends at once on shutdown.
        var idle = new PollPacer(Timeout.InfiniteTimeSpan, stopping.Token);
        var waiting = idle.WaitAsync([]);
        await stopping.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
