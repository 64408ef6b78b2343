using System.Diagnostics;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// The real outbox worker process delivering a backlog to a local webhook receiver: delivered messages per
/// second from the moment the backlog commits until the receiver has every message and the database marks them
/// all DELIVERED. Baseline: single-row INSERTs into the same table, one commit each, on one connection.
/// </summary>
public sealed class OutboxBenchmark : IBenchmark
{
    public string Name => "outbox";
    public string Description => "outbox delivered/s to a local webhook sink vs raw PostgreSQL insert rate";

    private const int Backlog = 5_000;

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        var url = await database.CreateDatabaseAsync("bench_outbox");
        var connection = DatabaseConnection.Parse(url, database.StateRoot);
        await using var sink = await WebhookSinkServer.StartAsync();
        await using var worker = await ServiceProcess.StartAsync("Autopack.OutboxWorker", new Dictionary<string, string>
        {
            ["DATABASE_URL"] = url,
            ["AUTOPACK_STATE_DIR"] = database.StateRoot,
            ["AUTOPACK_WEBHOOK_URLS"] = sink.Url,
            ["AUTOPACK_WEBHOOK_SECRET"] = "bench-secret",
            ["AUTOPACK_OUTBOX_POLL_MS"] = "50",
        });

        // A round only counts once the receiver holds every message and the database marks all DELIVERED (else it throws).
        var table = new ResultTable($"Outbox: {Backlog:N0}-message backlog delivered by the worker process to a local webhook (HMAC-signed, parallelism 4, batch 50), none lost, median of rounds",
            "backlog spread over", "delivered/s", "raw single-row INSERT/s", "ratio", "duplicate deliveries")
        {
            Note = "The backlog is committed in one transaction; the clock runs from that commit until the receiver holds every " +
                "message id and no row is left undelivered. The worker claims 50 at a time (`FOR UPDATE SKIP LOCKED`, fenced by " +
                "its lease term), POSTs each with `Idempotency-Key` and an HMAC signature, and marks the batch delivered in one " +
                "statement. Baseline: one connection inserting outbox rows one `INSERT` (one commit) at a time for 3 s, as a " +
                "producer writing one event per state change does.",
        };
        // One run's messages go out strictly in order; several runs' messages go out side by side.
        foreach (var runs in new[] { 1, 50 })
        {
            var delivered = new List<double>();
            var raw = new List<double>();
            var duplicates = 0;
            for (var round = 0; round < options.Rounds; round++)
            {
                sink.Reset();
                delivered.Add(await DrainBacklogAsync(connection, sink, runs));
                duplicates += sink.Received - sink.Distinct;
                raw.Add(await RawInsertRateAsync(database.ConnectionString("bench_outbox")));
                Console.Error.WriteLine($"   {runs} run(s), round {round + 1}: {delivered[^1]:N0} delivered/s, raw insert {raw[^1]:N0}/s");
            }
            var rate = Rounds.Median(delivered);
            var rawRate = Rounds.Median(raw);
            table.Add(runs == 1 ? "1 run" : $"{runs} runs", rate, rawRate, rate / rawRate, duplicates);
        }
        return [table];
    }

    private static async Task<double> DrainBacklogAsync(DatabaseConnection connection, WebhookSinkServer sink, int runs)
    {
        await using var db = AutopackDataRegistration.CreateContext(connection);
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            for (var i = 0; i < Backlog; i++)
                OutboxWriter.Enqueue(db, EventTypes.PhaseState, OutboxWriter.Webhook, new { run_id = $"bench-{i % runs}", phase_id = $"P{i}", state = "COMPLETE" }, $"bench-{i % runs}");
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (sink.Distinct >= Backlog && await db.OutboxMessages.CountAsync(m => m.Status != OutboxStatus.Delivered) == 0)
                return Backlog / clock.Elapsed.TotalSeconds;
            await Task.Delay(10);
        }
        throw new TimeoutException($"backlog not delivered in 5 min: receiver has {sink.Distinct} of {Backlog}");
    }

    /// <summary>What a producer that commits one message at a time achieves on the same server.</summary>
    private static async Task<double> RawInsertRateAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO outbox_messages (id, type, destination, payload, run_id, status, attempts, created_at, next_attempt_at)
            VALUES (@id, 'bench.raw', 'none', '{"run_id":"bench","state":"COMPLETE"}', 'bench', 'DELIVERED', 0, now(), now())
            """, conn);
        var id = insert.Parameters.Add("id", NpgsqlTypes.NpgsqlDbType.Uuid);
        var clock = Stopwatch.StartNew();
        var n = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            id.Value = Guid.NewGuid();
            await insert.ExecuteNonQueryAsync();
            n++;
        }
        return n / clock.Elapsed.TotalSeconds;
    }
}
