using System.Diagnostics;

namespace Autopack.Bench.Harness;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each send the next request as soon as the previous answers,
/// for a fixed time. Reports throughput and latency percentiles; any non-success answer is counted and fails the round.
/// </summary>
public static class HttpLoad
{
    public sealed record Result(double RequestsPerSecond, double P50, double P95, double P99, int Errors, int Requests);

    public static async Task<Result> RunAsync(HttpClient http, int concurrency, TimeSpan duration, Func<int, HttpRequestMessage> request)
    {
        var latencies = new LatencyRecorder();
        var errors = 0;
        var count = 0;
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var n = Interlocked.Increment(ref count);
                using var message = request(n);
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException) { Interlocked.Increment(ref errors); }
                latencies.Record(t);
            }
        });
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new Result(latencies.Count / elapsed, latencies.PercentileMs(50), latencies.PercentileMs(95), latencies.PercentileMs(99), errors, latencies.Count);
    }

    public static HttpClient CreateClient(int concurrency) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = concurrency,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    }) { Timeout = TimeSpan.FromSeconds(30) };
}
