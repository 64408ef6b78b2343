using Autopack.Bench.Harness;
using Npgsql;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// The API under closed-loop HTTP load at concurrency 1, 8 and 64: list, detail and create (a 10-phase plan),
/// each next to an empty ASP.NET Core endpoint in its own process at the same concurrency.
/// </summary>
public sealed class ApiBenchmark : IBenchmark
{
    public string Name => "api";
    public string Description => "GET /runs, GET /runs/{id}, POST /runs (10 phases) at concurrency 1/8/64 vs an empty endpoint";

    private static readonly int[] Concurrencies = [1, 8, 64];

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_api");
        await using var baseline = await BaselineServer.StartAsync();
        await using var api = await ServiceProcess.StartAsync("Autopack.Api", ApiEnvironment.For(url, database.StateRoot));

        // A realistic table to read: 200 runs of 10 phases.
        string detailId;
        using (var seed = HttpLoad.CreateClient(1))
        {
            for (var i = 0; i < 200; i++)
                (await seed.SendAsync(ApiEnvironment.CreateRun(api.BaseUrl, $"seed-{i}"))).EnsureSuccessStatusCode();
            detailId = "seed-100";
        }
        // Statistics as autovacuum keeps them on a live database: without them (its first minute after the seed) the
        // planner guesses and scans all 2,000 phases for a page, which measures the guess, not the API.
        await using (var analyze = new NpgsqlConnection(database.ConnectionString("bench_api")))
        {
            await analyze.OpenAsync();
            await using var command = new NpgsqlCommand("ANALYZE", analyze);
            await command.ExecuteNonQueryAsync();
        }

        var endpoints = new (string Name, Func<int, int, HttpRequestMessage> Request)[]
        {
            ("GET /runs", (_, _) => ApiEnvironment.Request(HttpMethod.Get, $"{api.BaseUrl}/runs?page_size=20")),
            ("GET /runs/{id}", (_, _) => ApiEnvironment.Request(HttpMethod.Get, $"{api.BaseUrl}/runs/{detailId}")),
            ("POST /runs", (round, n) => ApiEnvironment.CreateRun(api.BaseUrl, $"load-{round}-{n}-{Guid.NewGuid():N}")),
        };
        var duration = TimeSpan.FromSeconds(options.Seconds);
        var table = new ResultTable("API: closed-loop load (median of rounds; baseline = empty endpoint at the same concurrency)",
            "endpoint", "concurrency", "req/s", "p50 ms", "p95 ms", "p99 ms", "baseline req/s", "baseline p95 ms", "req/s ratio", "errors")
        {
            Note = "Release build of the API as its own process on PostgreSQL with 200 seeded runs of 10 phases; every request " +
                "carries an admin `X-API-Key`; `GET /runs` is a page of 20 with progress, `POST /runs` creates a run with one tier " +
                "and 10 phases, its `run.created` event and outbox message in one transaction. Closed loop: each of the " +
                "concurrent clients sends its next request when the previous one answered. The load generator, the API and " +
                "PostgreSQL share the machine's cores.",
        };
        var roundNo = 0;
        foreach (var concurrency in Concurrencies)
        {
            using var http = HttpLoad.CreateClient(concurrency);
            Func<int, HttpRequestMessage> empty = _ => new HttpRequestMessage(HttpMethod.Get, baseline.Url + "/empty");
            await HttpLoad.RunAsync(http, concurrency, TimeSpan.FromSeconds(1), empty); // warm-up
            var floor = await Rounds.RunAsync(options.Rounds, _ => HttpLoad.RunAsync(http, concurrency, duration, empty));
            foreach (var (name, request) in endpoints)
            {
                var r = ++roundNo;
                await HttpLoad.RunAsync(http, concurrency, TimeSpan.FromSeconds(1), n => request(-r, n)); // warm-up
                var results = await Rounds.RunAsync(options.Rounds, i => HttpLoad.RunAsync(http, concurrency, duration, n => request(r * 100 + i, n)));
                var rps = Rounds.Median(results.Select(x => x.RequestsPerSecond));
                var floorRps = Rounds.Median(floor.Select(x => x.RequestsPerSecond));
                table.Add(name, concurrency, rps, Rounds.Median(results.Select(x => x.P50)), Rounds.Median(results.Select(x => x.P95)),
                    Rounds.Median(results.Select(x => x.P99)), floorRps, Rounds.Median(floor.Select(x => x.P95)), rps / floorRps,
                    results.Sum(x => x.Errors));
                Console.Error.WriteLine($"   {name} c={concurrency}: {rps:N0} req/s");
            }
        }
        return [table];
    }
}
