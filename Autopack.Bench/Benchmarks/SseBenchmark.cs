using System.Diagnostics;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// One API process holding 1,000 and 10,000 live event streams of a run: the API's resident memory per open stream, and
/// the fan-out latency from the commit of a run event to its arrival on every stream. Baselines: the same with 1 stream,
/// and the same readers on a raw-socket fan-out server (<see cref="SseFloorServer"/>) at each count.
/// </summary>
public sealed class SseBenchmark : IBenchmark
{
    public string Name => "sse";
    public string Description => "1,000 and 10,000 concurrent SSE streams on one API process: fan-out latency p95 and memory per connection vs 1 stream";

    private static readonly int[] StreamCounts = [1, 1_000, 10_000];
    private const int Ticks = 20;
    // Streams connecting at once: more would overflow the listen backlog (Kestrel's default 512) and measure SYN retries.
    private const int ConnectingAtOnce = 64;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_sse");
        var connection = DatabaseConnection.Parse(url, database.StateRoot);
        RequireFileDescriptors(StreamCounts[^1] + 1_000);
        await using var api = await ServiceProcess.StartAsync("Autopack.Api", ApiEnvironment.For(url, database.StateRoot));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        var table = new ResultTable($"SSE: run events fanned out to concurrent streams of one API process ({Ticks} events per round, median of rounds; a PostgreSQL NOTIFY wakes the feed, the 200 ms poll is only the fallback)",
            "streams", "fan-out p50 ms", "fan-out p95 ms", "fan-out max ms", "API RSS growth per stream KiB", "p95 ratio vs 1 stream",
            "floor p50 ms", "floor p95 ms", "floor send loop ms", "p95 ratio vs floor", "events missed")
        {
            Note = "Latency runs from just before the event's commit (written by `RunEventWriter`, as the executor does) to the " +
                "moment each stream's reader parses it; all streams are HTTP/1.1 connections from one client process, each a " +
                $"plain socket that writes the GET and scans the response for the tick lines ({ConnectingAtOnce} connecting at " +
                "a time). Memory is the API's resident set after the streams connected minus before, divided by the streams " +
                "(for 1 stream it is mostly heap noise). Floor: the same readers on a raw-socket server in its own process that " +
                "writes each tick to every stream in one loop of `Send` calls per core (`SseFloorServer`), timed from just before " +
                "the tick's request to it: what sends and receives alone cost on this machine; its send loop is the time that request " +
                "took (the server answers when every socket has the frame), the rest of its latency is the receiving side.",
        };
        await using (var floor = await SseFloorServer.StartAsync())
        {
            await MeasureApiAsync(api, http, connection, 1, "sse-warm-up"); // first-use costs (JIT, pools) stay out of the figures
            await MeasureFloorAsync(floor, http, 1);
            double? baselineP95 = null;
            foreach (var streams in StreamCounts)
            {
                var rounds = new List<Measurement>();
                var floors = new List<Measurement>();
                for (var round = 0; round < options.Rounds; round++)
                {
                    rounds.Add(await MeasureApiAsync(api, http, connection, streams, $"sse-{streams}-{round}"));
                    floors.Add(await MeasureFloorAsync(floor, http, streams));
                }
                var p95 = Rounds.Median(rounds.Select(r => r.P95));
                var floorP95 = Rounds.Median(floors.Select(r => r.P95));
                baselineP95 ??= p95;
                table.Add(streams, Rounds.Median(rounds.Select(r => r.P50)), p95, Rounds.Median(rounds.Select(r => r.Max)),
                    Rounds.Median(rounds.Select(r => r.BytesPerStream / 1024.0)), p95 / baselineP95.Value,
                    Rounds.Median(floors.Select(r => r.P50)), floorP95, Rounds.Median(floors.Select(r => r.SendMs)), p95 / floorP95,
                    rounds.Sum(r => r.Missed) + floors.Sum(r => r.Missed));
                Console.Error.WriteLine($"   {streams} streams: p95 {p95:0.#} ms (floor {floorP95:0.#} ms)");
            }
        }
        return [table];
    }

    private sealed record Measurement(double P50, double P95, double Max, double BytesPerStream, int Missed, double SendMs = double.NaN);

    /// <summary>The bench holds every client socket; .NET raises the soft limit to the hard one at start, so only the hard limit can stop it.</summary>
    private static void RequireFileDescriptors(int needed)
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files"));
        var soft = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        if (soft is not null && long.TryParse(soft, out var limit) && limit < needed)
            throw new InvalidOperationException($"the sse bench needs {needed} open files and the limit is {limit}: raise it (`ulimit -n {needed}`) before running");
    }

    private static async Task<Measurement> MeasureApiAsync(ServiceProcess api, HttpClient http, DatabaseConnection connection, int streams, string runId)
    {
        (await http.SendAsync(ApiEnvironment.CreateRun(api.BaseUrl, runId, phases: 1))).EnsureSuccessStatusCode();
        await using var db = AutopackDataRegistration.CreateContext(connection);
        return await MeasureAsync(new Uri(api.BaseUrl), $"/runs/{runId}/events", streams, api.ResidentBytes, async (tick, stamp) =>
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await RunEventWriter.AppendAsync(db, runId, "bench.tick", new { tick });
            await db.SaveChangesAsync();
            stamp(); // before the commit, so no stream sees the event first
            await tx.CommitAsync();
        });
    }

    /// <summary>The floor server answers a tick once its send loop is done, so the request's time is how long the server
    /// took to hand the frame to every socket; the readers' latency beyond that is the receiving side.</summary>
    private static async Task<Measurement> MeasureFloorAsync(BaselineProcess floor, HttpClient http, int streams)
    {
        var sends = new List<double>();
        var measured = await MeasureAsync(new Uri(floor.Url), "/floor", streams, () => 0, async (tick, stamp) =>
        {
            stamp();
            var clock = Stopwatch.StartNew();
            (await http.PostAsync($"{floor.Url}/tick/{tick}", null)).EnsureSuccessStatusCode();
            sends.Add(clock.Elapsed.TotalMilliseconds);
        });
        return measured with { SendMs = Rounds.Median(sends) };
    }

    /// <summary>Opens <paramref name="streams"/> readers on <paramref name="path"/>, sends the ticks (each stamping its
    /// send time) and records when every reader parsed each one.</summary>
    private static async Task<Measurement> MeasureAsync(Uri baseUrl, string path, int streams, Func<long> residentBytes, Func<int, Action, Task> sendTick)
    {
        var rssBefore = residentBytes();
        using var stop = new CancellationTokenSource();
        var sentAt = new long[Ticks];
        var latencies = new LatencyRecorder();
        var received = 0;
        var connected = new CountdownEvent(streams);
        using var connecting = new SemaphoreSlim(ConnectingAtOnce);
        var readers = Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
        {
            await connecting.WaitAsync(stop.Token);
            var holding = true;
            try
            {
                await SseStreamReader.ReadAsync(baseUrl, path, ApiEnvironment.ApiKey,
                    onConnected: () =>
                    {
                        connected.Signal();
                        connecting.Release();
                        holding = false;
                    },
                    onTick: tick =>
                    {
                        latencies.Record(Volatile.Read(ref sentAt[tick]));
                        Interlocked.Increment(ref received);
                    }, stop.Token);
            }
            finally { if (holding) connecting.Release(); }
        })).ToList();
        var connectDeadline = DateTime.UtcNow.AddSeconds(300);
        while (!connected.Wait(TimeSpan.FromSeconds(1)))
        {
            if (readers.FirstOrDefault(r => r.IsFaulted) is { } failed) await failed; // a refused stream says why
            if (DateTime.UtcNow > connectDeadline) throw new TimeoutException($"only {streams - connected.CurrentCount} of {streams} streams connected");
        }
        await Task.Delay(1000);
        var bytesPerStream = (residentBytes() - rssBefore) / (double)streams;

        for (var tick = 0; tick < Ticks; tick++)
        {
            var t = tick;
            await sendTick(t, () => Volatile.Write(ref sentAt[t], Stopwatch.GetTimestamp()));
            await Task.Delay(250);
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref received) < streams * Ticks && DateTime.UtcNow < deadline) await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(readers);

        return new Measurement(latencies.PercentileMs(50), latencies.PercentileMs(95), latencies.PercentileMs(100), bytesPerStream, streams * Ticks - received);
    }
}
