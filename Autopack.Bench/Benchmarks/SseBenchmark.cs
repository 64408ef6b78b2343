using System.Diagnostics;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// One API process holding 1,000 live event streams of a run: the API's resident memory per open stream, and the
/// fan-out latency from the commit of a run event to its arrival on every stream. Baseline: the same with 1 stream.
/// </summary>
public sealed class SseBenchmark : IBenchmark
{
    public string Name => "sse";
    public string Description => "1,000 concurrent SSE streams on one API process: fan-out latency p95 and memory per connection vs 1 stream";

    private const int Streams = 1_000, Ticks = 20;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_sse");
        var connection = DatabaseConnection.Parse(url, database.StateRoot);
        await using var api = await ServiceProcess.StartAsync("Autopack.Api", ApiEnvironment.For(url, database.StateRoot));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Streams + 10 }) { Timeout = Timeout.InfiniteTimeSpan };

        var table = new ResultTable($"SSE: run events fanned out to concurrent streams of one API process ({Ticks} events per round, median of rounds; a PostgreSQL NOTIFY wakes the feed, the 200 ms poll is only the fallback)",
            "streams", "fan-out p50 ms", "fan-out p95 ms", "fan-out max ms", "API RSS growth per stream KiB", "p95 ratio vs 1 stream", "events missed")
        {
            Note = "Latency runs from just before the event's commit (written by `RunEventWriter`, as the executor does) to the " +
                "moment each stream's reader parses it; all streams are HTTP/1.1 connections from one client process. Memory is " +
                "the API's resident set after the streams connected minus before, divided by the streams (for 1 stream it is " +
                "mostly heap noise).",
        };
        await MeasureAsync(api, http, connection, 1, "sse-warm-up"); // first-use costs (JIT, pools) stay out of the figures
        double? baselineP95 = null;
        foreach (var streams in new[] { 1, Streams })
        {
            var rounds = new List<Measurement>();
            for (var round = 0; round < options.Rounds; round++)
                rounds.Add(await MeasureAsync(api, http, connection, streams, $"sse-{streams}-{round}"));
            var p95 = Rounds.Median(rounds.Select(r => r.P95));
            baselineP95 ??= p95;
            table.Add(streams, Rounds.Median(rounds.Select(r => r.P50)), p95, Rounds.Median(rounds.Select(r => r.Max)),
                Rounds.Median(rounds.Select(r => r.BytesPerStream / 1024.0)), p95 / baselineP95.Value, rounds.Sum(r => r.Missed));
            Console.Error.WriteLine($"   {streams} streams: p95 {p95:0.#} ms");
        }
        return [table];
    }

    private sealed record Measurement(double P50, double P95, double Max, double BytesPerStream, int Missed);

    private static async Task<Measurement> MeasureAsync(ServiceProcess api, HttpClient http, DatabaseConnection connection, int streams, string runId)
    {
        (await http.SendAsync(ApiEnvironment.CreateRun(api.BaseUrl, runId, phases: 1))).EnsureSuccessStatusCode();

        var rssBefore = api.ResidentBytes();
        using var stop = new CancellationTokenSource();
        var sentAt = new long[Ticks];
        var latencies = new LatencyRecorder();
        var received = 0;
        var connected = new CountdownEvent(streams);
        var readers = Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
        {
            using var response = await http.SendAsync(ApiEnvironment.Request(HttpMethod.Get, $"{api.BaseUrl}/runs/{runId}/events"),
                HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            try
            {
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    if (line == ": connected") connected.Signal();
                    else if (line.StartsWith("data: {\"tick\":", StringComparison.Ordinal))
                    {
                        var tick = int.Parse(line.AsSpan(14, line.Length - 15));
                        latencies.Record(Volatile.Read(ref sentAt[tick]));
                        Interlocked.Increment(ref received);
                    }
                }
            }
            catch (OperationCanceledException) { }
        })).ToList();
        if (!connected.Wait(TimeSpan.FromSeconds(120))) throw new TimeoutException($"only {streams - connected.CurrentCount} of {streams} streams connected");
        await Task.Delay(1000);
        var bytesPerStream = (api.ResidentBytes() - rssBefore) / (double)streams;

        await using (var db = AutopackDataRegistration.CreateContext(connection))
        {
            for (var tick = 0; tick < Ticks; tick++)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                await RunEventWriter.AppendAsync(db, runId, "bench.tick", new { tick });
                await db.SaveChangesAsync();
                Volatile.Write(ref sentAt[tick], Stopwatch.GetTimestamp()); // before the commit, so no stream sees the event first
                await tx.CommitAsync();
                await Task.Delay(250);
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref received) < streams * Ticks && DateTime.UtcNow < deadline) await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(readers);

        return new Measurement(latencies.PercentileMs(50), latencies.PercentileMs(95), latencies.PercentileMs(100), bytesPerStream, streams * Ticks - received);
    }
}
