using Autopack.Bench.Benchmarks;
using Autopack.Bench.Harness;

namespace Autopack.Bench;

/// <summary>The command line's options; <paramref name="Repo"/> picks one target of the phase verb (null: all of them).</summary>
public sealed record BenchOptions(int Rounds, double Seconds, string? Repo = null);

/// <summary>One benchmark: produces one or more result tables against a shared PostgreSQL server.</summary>
public interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options);
}

public static class BenchmarkCatalog
{
    public static readonly IReadOnlyList<IBenchmark> All =
        [new ApiBenchmark(), new ClaimBenchmark(), new OutboxBenchmark(), new SseBenchmark(), new MemoryBenchmark(), new SandboxBenchmark(), new PhaseBenchmark()];
}
