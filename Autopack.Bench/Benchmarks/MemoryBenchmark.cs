using System.Diagnostics;
using System.Runtime.InteropServices;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Executor.Memory;
using Npgsql;
using NpgsqlTypes;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// The embedded vector index (<see cref="EmbeddedMemoryStore"/>: PostgreSQL rows, scanned in memory with SIMD) at 10k and
/// 100k entries: search latency, recall@1 for a query that repeats a stored text, the cost of the first search (loading
/// the collection) and the index's managed memory. Baseline in the same run: the previous database scan
/// (<see cref="MemoryScanBaseline"/>) with its default window (newest 5,000) and over all rows.
/// </summary>
public sealed class MemoryBenchmark : IBenchmark
{
    public string Name => "memory";
    public string Description => "embedded vector index search at 10k and 100k entries vs the previous database scan";

    private const string Collection = "bench";
    private const int OldDefaultWindow = 5_000, QueriesPerRound = 20, IndexQueriesPerRound = 100;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_memory");
        await using var services = new ServiceCollection().AddAutopackData(DatabaseConnection.Parse(url, database.StateRoot)).BuildServiceProvider();
        var factory = services.GetRequiredService<IAutopackDbFactory>();
        var connectionString = database.ConnectionString("bench_memory");
        var embedder = new HashingEmbedder();
        var table = new ResultTable($"Embedded memory: {embedder.Dimensions}-dimension vectors, median of rounds",
            "entries", "search", "p50 ms", "p95 ms", "ratio to full scan (p50)", "recall@1", "first search (load) ms", "index memory MB")
        {
            Note = "Texts are synthetic compiler errors embedded by the built-in `HashingEmbedder`; each query repeats the text of " +
                "a random stored entry, so recall@1 is the share of queries whose best hit is that entry. *In-memory index*: the " +
                "executor's store, which loads the collection once (the first search), then before each search reads the ids " +
                "written in the last two minutes before the newest row it has (rows are stamped one second apart, so about 120 " +
                "ids), scans every entry's int8 scalar-quantized copy for 32 candidates and rescores those exactly with their stored " +
                "float32 vectors (`TensorPrimitives.CosineSimilarity`); latency includes both database round trips (catch-up, candidates' " +
                "texts and vectors). *Scan only*: the same in-memory scan without the database. *Database scan*: the previous store, which read the rows of every query from PostgreSQL " +
                $"and ranked them with a scalar loop. {QueriesPerRound} queries per round for the scans, {IndexQueriesPerRound} for the index.",
        };
        var stored = 0;
        var random = new Random(7);
        foreach (var entries in new[] { 10_000, 100_000 })
        {
            stored = await SeedAsync(connectionString, embedder, stored, entries);
            var full = double.NaN;
            foreach (var window in new[] { entries, OldDefaultWindow })
            {
                var scan = new MemoryScanBaseline(factory, Collection, window);
                var (p50, p95, recall) = await MeasureAsync(options.Rounds, QueriesPerRound, entries, random, embedder,
                    async v => await scan.SearchAsync(v, 5));
                if (window == entries) full = p50;
                table.Add(entries, window == entries ? "database scan, all rows (previous)" : $"database scan, newest {window:N0} (previous default)",
                    p50, p95, p50 / full, recall, double.NaN, double.NaN);
                Console.Error.WriteLine($"   {entries:N0} entries, database scan of {window:N0}: p50 {p50:0.#} ms");
            }

            var before = GC.GetTotalMemory(forceFullCollection: true);
            var store = new EmbeddedMemoryStore(factory, Collection);
            var clock = Stopwatch.StartNew();
            await store.SearchAsync(embedder.Embed(TextOf(0)), 5, null, CancellationToken.None);
            var load = clock.Elapsed.TotalMilliseconds;
            var memoryMb = (GC.GetTotalMemory(forceFullCollection: true) - before) / 1024.0 / 1024.0;
            var index = await MeasureAsync(options.Rounds, IndexQueriesPerRound, entries, random, embedder,
                v => store.SearchAsync(v, 5, null, CancellationToken.None));
            table.Add(entries, "in-memory index (now)", index.P50, index.P95, index.P50 / full, index.Recall, load, memoryMb);
            Console.Error.WriteLine($"   {entries:N0} entries, in-memory index: p50 {index.P50:0.##} ms, p95 {index.P95:0.##} ms, load {load:0} ms, {memoryMb:0} MB");
            GC.KeepAlive(store);

            // The in-memory candidate scan without the database: what the SIMD scan itself costs.
            var scanOnly = new VectorIndex();
            for (var i = 0; i < entries; i++) scanOnly.Add(Guid.NewGuid(), "error", null, embedder.Embed(TextOf(i)));
            var scanned = await MeasureAsync(options.Rounds, IndexQueriesPerRound, entries, random, embedder, v => Task.FromResult(Ranked(scanOnly, v)));
            table.Add(entries, "in-memory index, scan only (no database)", scanned.P50, scanned.P95, scanned.P50 / full, double.NaN, double.NaN, double.NaN);
            Console.Error.WriteLine($"   {entries:N0} entries, scan only: p50 {scanned.P50:0.##} ms, p95 {scanned.P95:0.##} ms");
        }
        return [table];
    }

    private static IReadOnlyList<MemoryHit> Ranked(VectorIndex index, float[] vector) =>
        index.Search(vector, 32, null).Select(h => new MemoryHit("error", "", h.Score, null, null)).ToList();

    private static async Task<(double P50, double P95, double Recall)> MeasureAsync(int rounds, int queries, int entries, Random random,
        HashingEmbedder embedder, Func<float[], Task<IReadOnlyList<MemoryHit>>> search)
    {
        var results = await Rounds.RunAsync(rounds, async _ =>
        {
            var latencies = new LatencyRecorder();
            var hits = 0;
            for (var q = 0; q < queries; q++)
            {
                var target = random.Next(entries);
                var vector = embedder.Embed(TextOf(target));
                var t = Stopwatch.GetTimestamp();
                var result = await search(vector);
                latencies.Record(t);
                if (result.Count > 0 && result[0].Text == TextOf(target)) hits++;
            }
            return (P50: latencies.PercentileMs(50), P95: latencies.PercentileMs(95), Recall: hits / (double)queries);
        });
        return (Rounds.Median(results.Select(r => r.P50)), Rounds.Median(results.Select(r => r.P95)), Rounds.Median(results.Select(r => r.Recall)));
    }

    // A unique number in every text, so a query repeating it has exactly one best match.
    private static readonly string[] Words = ["null", "reference", "timeout", "missing", "assembly", "expected", "token", "index", "range", "denied", "socket", "parse"];
    private static string TextOf(int i) =>
        $"error CS{1000 + i % 9000}: {Words[i % Words.Length]} {Words[i / 7 % Words.Length]} in src/module{i % 97}/file{i % 31}.cs entry {i}";

    /// <summary>
    /// Adds entries [from, to) with binary COPY, one second apart, so the newest are the highest (the old
    /// scan's window) and the index's two-minute catch-up re-reads about 120 ids, as at a busy but real write rate.
    /// </summary>
    private static async Task<int> SeedAsync(string connectionString, HashingEmbedder embedder, int from, int to)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var start = DateTime.UtcNow.AddSeconds(-200_000);
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
                await copy.WriteAsync(start.AddSeconds(i), NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        await using var analyze = new NpgsqlCommand("ANALYZE memory_entries", conn);
        await analyze.ExecuteNonQueryAsync();
        return to;
    }
}
