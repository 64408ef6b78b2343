using System.Diagnostics;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// Waits for something a test cannot be told about (another process, a background loop, a webhook) by polling a probe.
/// A timeout fails with what the probe saw last, so the message says how far the system got instead of only "timed out".
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls <paramref name="probe"/> until <paramref name="done"/> holds and returns that observation.
    /// <paramref name="giveUp"/> ends the wait early for an observation that can no longer turn into success (a failed run);
    /// <paramref name="tolerate"/> names exceptions that count as "not yet" (a service still starting); others propagate.
    /// </summary>
    public static async Task<T> UntilAsync<T>(string what, Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout,
        Func<T, string>? describe = null, Func<T, bool>? giveUp = null, Func<Exception, bool>? tolerate = null, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        var last = "nothing (the probe never answered)";
        while (true)
        {
            try
            {
                var observed = await probe();
                if (done(observed)) return observed;
                last = describe is null ? $"{observed}" : describe(observed);
                if (giveUp?.Invoke(observed) == true)
                    throw new EventuallyException($"{what}: gave up after {clock.Elapsed.TotalSeconds:0.0} s; observed: {last}");
            }
            catch (Exception ex) when (ex is not EventuallyException && tolerate?.Invoke(ex) == true)
            {
                last = $"{ex.GetType().Name}: {ex.Message}";
            }
            if (clock.Elapsed >= timeout)
                throw new EventuallyException($"{what}: not within {timeout.TotalSeconds:0.#} s; last observed: {last}");
            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>Polls a condition; a timeout reports <paramref name="describe"/> (the state that explains the wait).</summary>
    public static async Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null,
        Func<Exception, bool>? tolerate = null, TimeSpan? interval = null) =>
        await UntilAsync(what, condition, held => held, timeout, _ => describe?.Invoke() ?? "false", tolerate: tolerate, interval: interval);

    /// <inheritdoc cref="UntilAsync(string, Func{Task{bool}}, TimeSpan, Func{string}?, Func{Exception, bool}?, TimeSpan?)"/>
    public static Task UntilAsync(string what, Func<bool> condition, TimeSpan timeout, Func<string>? describe = null, TimeSpan? interval = null) =>
        UntilAsync(what, () => Task.FromResult(condition()), timeout, describe, interval: interval);
}

/// <summary>An <see cref="Eventually"/> wait that ran out of time or gave up.</summary>
public sealed class EventuallyException(string message) : TimeoutException(message);
