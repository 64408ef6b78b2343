using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Foundation;

/// <summary>The test suite's one wait: it returns what it saw, and a failure says what it saw last.</summary>
[Trait("Category", "Unit")]
public sealed class EventuallyTests
{
    [Fact]
    public async Task A_wait_returns_the_observation_that_satisfied_it()
    {
        var polls = 0;
        var seen = await Eventually.UntilAsync("three polls", () => Task.FromResult(++polls), n => n == 3, TimeSpan.FromSeconds(5),
            interval: TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, seen);
    }

    [Fact]
    public async Task A_timeout_names_the_wait_and_the_last_observed_value()
    {
        var polls = 0;
        var ex = await Assert.ThrowsAsync<EventuallyException>(() => Eventually.UntilAsync("run r1 COMPLETE",
            () => Task.FromResult(++polls), _ => false, TimeSpan.FromMilliseconds(50), describe: n => $"poll {n}: RUNNING",
            interval: TimeSpan.FromMilliseconds(5)));
        Assert.StartsWith("run r1 COMPLETE: not within", ex.Message);
        Assert.EndsWith($"last observed: poll {polls}: RUNNING", ex.Message);
        Assert.IsAssignableFrom<TimeoutException>(ex);
    }

    [Fact]
    public async Task An_observation_that_cannot_turn_into_success_ends_the_wait_at_once()
    {
        var polls = 0;
        var ex = await Assert.ThrowsAsync<EventuallyException>(() => Eventually.UntilAsync("run COMPLETE",
            () => Task.FromResult(++polls == 1 ? "RUNNING" : "FAILED"), s => s == "COMPLETE", TimeSpan.FromMinutes(5),
            giveUp: s => s == "FAILED", interval: TimeSpan.FromMilliseconds(1)));
        Assert.Equal(2, polls);
        Assert.Contains("gave up", ex.Message);
        Assert.EndsWith("observed: FAILED", ex.Message);
    }

    [Fact]
    public async Task Tolerated_exceptions_mean_not_yet_and_others_fail_the_wait()
    {
        var polls = 0;
        Assert.True(await Eventually.UntilAsync("a service starting", () => ++polls < 3 ? throw new HttpRequestException("refused") : Task.FromResult(true),
            ok => ok, TimeSpan.FromSeconds(5), tolerate: ex => ex is HttpRequestException, interval: TimeSpan.FromMilliseconds(1)));

        var timedOut = await Assert.ThrowsAsync<EventuallyException>(() => Eventually.UntilAsync("never up",
            () => throw new HttpRequestException("connection refused"), (bool ok) => ok, TimeSpan.FromMilliseconds(30),
            tolerate: ex => ex is HttpRequestException, interval: TimeSpan.FromMilliseconds(5)));
        Assert.EndsWith("last observed: HttpRequestException: connection refused", timedOut.Message);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Eventually.UntilAsync("a crash",
            () => throw new InvalidOperationException("loop crashed"), (bool ok) => ok, TimeSpan.FromSeconds(5), tolerate: ex => ex is HttpRequestException));
    }
}
