using Autopack.Core.Data;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Autopack.Tests.Executor;

/// <summary>For the executor's waits on <see cref="FakeTimeProvider"/>: the database they poll, and moving time until a wait ends.</summary>
public static class FakeClockWaits
{
    public sealed class Factory(TestDatabase db) : IAutopackDbFactory
    {
        public AutopackDbContext Create() => db.CreateContext();
    }

    /// <summary>
    /// Moves fake time in steps until the task ends. A step may land while the waiter is between timers (reading the
    /// database), so time keeps moving until it is done rather than by an exact amount.
    /// </summary>
    public static async Task<T> AdvanceUntilDoneAsync<T>(FakeTimeProvider time, Task<T> task, TimeSpan step, int maxSteps = 200)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(20));
        }
        return await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Moves fake time in steps up to <paramref name="until"/>, giving the waiter a moment after each.</summary>
    public static async Task AdvanceToAsync(FakeTimeProvider time, DateTime until, TimeSpan step)
    {
        while (time.GetUtcNow().UtcDateTime + step <= until)
        {
            time.Advance(step);
            await Task.Delay(20);
        }
    }
}
