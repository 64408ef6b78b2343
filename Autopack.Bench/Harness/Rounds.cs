namespace Autopack.Bench.Harness;

/// <summary>Every figure is the median of several rounds, so one noisy round does not decide it.</summary>
public static class Rounds
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static async Task<T[]> RunAsync<T>(int rounds, Func<int, Task<T>> round)
    {
        var results = new T[rounds];
        for (var i = 0; i < rounds; i++) results[i] = await round(i);
        return results;
    }
}
