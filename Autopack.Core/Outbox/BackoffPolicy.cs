namespace Autopack.Core.Outbox;

/// <summary>Exponential backoff with jitter: base × 2^(attempt−1), capped, then spread by ±jitter so retries do not stampede.</summary>
public sealed record BackoffPolicy(TimeSpan Base, TimeSpan Max, double Jitter)
{
    public static readonly BackoffPolicy Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15), 0.2);

    /// <summary>Delay before the attempt after <paramref name="failedAttempts"/> failures (1 = first failure).</summary>
    public TimeSpan DelayAfter(int failedAttempts, Random? random = null)
    {
        var exponential = Base.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var capped = Math.Min(exponential, Max.TotalMilliseconds);
        var spread = 1 + Jitter * (2 * (random ?? Random.Shared).NextDouble() - 1);
        return TimeSpan.FromMilliseconds(capped * spread);
    }
}
