using System.Diagnostics;
using System.Runtime.InteropServices;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Executor.Memory;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// The embedded vector index (<see cref="EmbeddedMemoryStore"/>, PostgreSQL rows ranked by cosine in process) at 10k
/// and 100k entries: query latency with the default scan window (newest 5,000) and with a full scan, and recall@1
/// for a query that repeats a stored text. Baseline: fetching the same rows' vectors with plain Npgsql, no ranking.
/// </summary>
public sealed class MemoryBenchmark : IBenchmark
{
    public string Name => "memory";
    public string Description => "embedded vector index query latency at 10k and 100k entries vs a plain fetch of the same rows";

    private const string Collection = "bench";
    private const int DefaultWindow = 5_000, QueriesPerRound = 20;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_memory");
        await using var services = new ServiceCollection().AddAutopackData(DatabaseConnection.Parse(url, database.StateRoot)).BuildServiceProvider();
        var factory = services.GetRequiredService<IAutopackDbFactory>();
        var connectionString = database.ConnectionString("bench_memory");
        var embedder = new HashingEmbedder();
        var table = new ResultTable($"Embedded memory: {embedder.Dimensions}-dimension vectors, {QueriesPerRound} queries per round, median of rounds",
            "entries", "scan", "p50 ms", "p95 ms", "baseline fetch p50 ms", "ratio (p50)", "recall@1")
        {
            Note = "Texts are synthetic compiler errors embedded by the built-in `HashingEmbedder`; each query repeats the text of " +
                "a random stored entry, so recall@1 is the share of queries whose best hit is that entry. The default scan " +
                "window ranks only the newest 5,000 entries of the collection (bounded latency, recent memory); a full scan " +
                "finds everything at a cost linear in the entries. Use Qdrant (`QDRANT_URL`) beyond that.",
        };
        var stored = 0;
        var random = new Random(7);
        foreach (var entries in new[] { 10_000, 100_000 })
        {
            stored = await SeedAsync(connectionString, embedder, stored, entries);
            foreach (var window in new[] { DefaultWindow, entries })
            {
                var store = new EmbeddedMemoryStore(factory, Collection, window);
                var rounds = await Rounds.RunAsync(options.Rounds, async _ =>
                {
                    var latencies = new LatencyRecorder();
                    var baseline = new LatencyRecorder();
                    var hits = 0;
                    for (var q = 0; q < QueriesPerRound; q++)
                    {
                        var target = random.Next(entries);
                        var vector = embedder.Embed(TextOf(target));
                        var t = Stopwatch.GetTimestamp();
                        var result = await store.SearchAsync(vector, 5, CancellationToken.None);
                        latencies.Record(t);
                        if (result.Count > 0 && result[0].Text == TextOf(target)) hits++;
                        t = Stopwatch.GetTimestamp();
                        await FetchVectorsAsync(connectionString, window);
                        baseline.Record(t);
                    }
                    return (P50: latencies.PercentileMs(50), P95: latencies.PercentileMs(95), Base: baseline.PercentileMs(50), Recall: hits / (double)QueriesPerRound);
                });
                var p50 = Rounds.Median(rounds.Select(r => r.P50));
                var fetch = Rounds.Median(rounds.Select(r => r.Base));
                table.Add(entries, window == entries ? "full" : $"newest {window:N0} (default)", p50, Rounds.Median(rounds.Select(r => r.P95)), fetch,
                    p50 / fetch, Rounds.Median(rounds.Select(r => r.Recall)));
                Console.Error.WriteLine($"   {entries:N0} entries, window {window:N0}: p50 {p50:0.#} ms");
            }
        }
        return [table];
    }

    // A unique number in every text, so a query repeating it has exactly one best match.
    private static readonly string[] Words = ["null", "reference", "timeout", "missing", "assembly", "expected", "token", "index", "range", "denied", "socket", "parse"];
    private static string TextOf(int i) =>
        $"error CS{1000 + i % 9000}: {Words[i % Words.Length]} {Words[i / 7 % Words.Length]} in src/module{i % 97}/file{i % 31}.cs entry {i}";

    /// <summary>Adds entries [from, to) with binary COPY; created_at grows with the index, so the newest are the highest.</summary>
    private static async Task<int> SeedAsync(string connectionString, HashingEmbedder embedder, int from, int to)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var start = DateTime.UtcNow.AddDays(-1);
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY memory_entries (id, collection, kind, text, vector, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = from; i < to; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(Collection, NpgsqlDbType.Text);
                await copy.WriteAsync("error", NpgsqlDbType.Text);
                await copy.WriteAsync(TextOf(i), NpgsqlDbType.Text);
                await copy.WriteAsync(MemoryMarshal.AsBytes(embedder.Embed(TextOf(i)).AsSpan()).ToArray(), NpgsqlDbType.Bytea);
                await copy.WriteAsync(start.AddMilliseconds(i), NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        await using var analyze = new NpgsqlCommand("ANALYZE memory_entries", conn);
        await analyze.ExecuteNonQueryAsync();
        return to;
    }

    private static async Task FetchVectorsAsync(string connectionString, int window)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT vector FROM memory_entries WHERE collection = @c ORDER BY created_at DESC LIMIT @n", conn);
        cmd.Parameters.AddWithValue("c", Collection);
        cmd.Parameters.AddWithValue("n", window);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) _ = reader.GetFieldValue<byte[]>(0);
    }
}
