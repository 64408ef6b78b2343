using Autopack.Executor.Loop;
using Microsoft.Extensions.Time.Testing;

namespace Autopack.Tests.Executor;

/// <summary>The phase wall clock counts working time only: a stop (approval, pause, outage) is not counted.</summary>
public class PhaseClockTests
{
    [Fact]
    public void Time_while_stopped_is_not_counted_and_a_second_stop_or_start_changes_nothing()
    {
        var time = new FakeTimeProvider();
        var clock = new PhaseClock(time);
        time.Advance(TimeSpan.FromMinutes(2));
        clock.Stop();
        clock.Stop();
        time.Advance(TimeSpan.FromMinutes(30)); // waiting for a human
        Assert.Equal(TimeSpan.FromMinutes(2), clock.Elapsed);
        clock.Start();
        time.Advance(TimeSpan.FromMinutes(1));
        clock.Start();
        Assert.Equal(TimeSpan.FromMinutes(3), clock.Elapsed);
    }
}
