using System.Diagnostics;

namespace Autopack.Bench.Harness;

/// <summary>Collects per-operation latencies (thread-safe) and reports percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _ticks = new(1 << 16);

    public void Record(long startTimestamp)
    {
        var elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        lock (_ticks) _ticks.Add(elapsed);
    }

    public int Count { get { lock (_ticks) return _ticks.Count; } }

    /// <summary>Percentile in milliseconds (nearest rank).</summary>
    public double PercentileMs(double p)
    {
        long[] sorted;
        lock (_ticks) sorted = [.. _ticks];
        if (sorted.Length == 0) return double.NaN;
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
