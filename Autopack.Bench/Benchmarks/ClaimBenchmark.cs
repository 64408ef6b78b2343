using System.Collections.Concurrent;
using System.Diagnostics;
using Autopack.Bench.Harness;
using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Autopack.Bench.Benchmarks;

/// <summary>
/// <see cref="PhaseClaimer"/> draining 10,000 queued phases (400 runs × 25 phases, one tier, disjoint scopes, so every
/// phase is claimable) with 1, 4 and 16 concurrent claimers, checking that no phase is handed out twice. Baseline:
/// the bare queue pop (<c>UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id</c>) on the same rows.
/// Each round starts from a copy of one seeded database.
/// </summary>
public sealed class ClaimBenchmark : IBenchmark
{
    public string Name => "claims";
    public string Description => "phase claims/s on 10,000 queued phases with 1/4/16 claimers vs raw UPDATE … RETURNING";

    private const int Runs = 400, PhasesPerRun = 25, Total = Runs * PhasesPerRun;
    private static readonly int[] Concurrencies = [1, 4, 16];

    public async Task<IReadOnlyList<ResultTable>> RunAsync(BenchDatabase database, BenchOptions options)
    {
        const string seed = "bench_claims_seed";
        await SeedAsync(database, await database.CreateDatabaseAsync(seed));
        NpgsqlConnection.ClearAllPools(); // a template database must have no open connections

        var table = new ResultTable($"Phase claiming: {Total:N0} queued phases drained (median of rounds)",
            "claimers", "claims/s", "raw UPDATE…RETURNING/s", "ratio", "double claims", "phases claimed")
        {
            Note = "Each claimer is a `PhaseClaimer` with its own connection, as an executor has. A claim is one transaction: pick " +
                "candidate runs, lock the run row (`FOR UPDATE SKIP LOCKED`), read its phases (tier barrier, parallel limit, " +
                "scope overlap), conditional `QUEUED → EXECUTING` update with lease, `phase.state` run event and outbox message. " +
                "The baseline pops the same rows with one statement and nothing else. Double claims: claims returned minus " +
                "distinct phases, and the drain fails unless exactly 10,000 phases end EXECUTING.",
        };
        var copy = 0;
        foreach (var claimers in Concurrencies)
        {
            var ours = new List<(double Rate, int Doubles, int Claimed)>();
            var raw = new List<double>();
            for (var round = 0; round < options.Rounds; round++)
            {
                var a = await CopyAsync(database, seed, $"bench_claims_{++copy}");
                ours.Add(await DrainWithClaimerAsync(database, a, claimers));
                NpgsqlConnection.ClearAllPools();
                var b = await CopyAsync(database, seed, $"bench_claims_{++copy}");
                raw.Add(await DrainRawAsync(database.ConnectionString(b), claimers));
                NpgsqlConnection.ClearAllPools();
            }
            var rate = Rounds.Median(ours.Select(o => o.Rate));
            var rawRate = Rounds.Median(raw);
            table.Add(claimers, rate, rawRate, rate / rawRate, ours.Sum(o => o.Doubles), string.Join(" / ", ours.Select(o => o.Claimed)));
            Console.Error.WriteLine($"   {claimers} claimers: {rate:N0} claims/s (raw {rawRate:N0}/s)");
        }
        return [table];
    }

    private static async Task SeedAsync(BenchDatabase database, string url)
    {
        await using var db = AutopackDataRegistration.CreateContext(DatabaseConnection.Parse(url, database.StateRoot));
        var created = DateTime.UtcNow.AddHours(-1);
        for (var r = 0; r < Runs; r++)
        {
            var runId = $"claim-run-{r:D4}";
            db.Runs.Add(new Run { Id = runId, Name = "claim bench", CreatedAt = created.AddMilliseconds(r), MaxPhases = PhasesPerRun });
            db.Tiers.Add(new Tier { RunId = runId, TierId = "T1", Index = 0, Name = "Tier one" });
            for (var p = 0; p < PhasesPerRun; p++)
                db.Phases.Add(new Phase { RunId = runId, PhaseId = $"P{p + 1}", TierId = "T1", TierIndex = 0, Index = p, ScopePaths = [$"src/file{p}.cs"] });
            if (r % 50 == 49) { await db.SaveChangesAsync(); db.ChangeTracker.Clear(); }
        }
        await db.SaveChangesAsync();
        await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE"); // planner statistics, as a database in service has them
    }

    private static async Task<string> CopyAsync(BenchDatabase database, string template, string name)
    {
        await using var conn = new NpgsqlConnection(database.ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return name;
    }

    private static async Task<(double Rate, int Doubles, int Claimed)> DrainWithClaimerAsync(BenchDatabase database, string name, int claimers)
    {
        var connection = DatabaseConnection.Parse(database.Server.Url(name), database.StateRoot);
        var claims = new ConcurrentBag<long>();
        var claimer = new PhaseClaimer(TimeProvider.System);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(async w =>
        {
            await using var db = AutopackDataRegistration.CreateContext(connection);
            var misses = 0;
            while (misses < 3)
            {
                // Every phase may run at once (limit = phases per run): the bench measures the claim, not the parallel cap.
                var claim = await claimer.ClaimNextAsync(db, $"bench-{w}", TimeSpan.FromMinutes(30), PhasesPerRun);
                db.ChangeTracker.Clear();
                if (claim is null) { misses++; continue; }
                misses = 0;
                claims.Add(claim.PhaseRowId);
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        await using var check = AutopackDataRegistration.CreateContext(connection);
        var executing = check.Phases.Count(p => p.State == PhaseState.Executing);
        if (executing != Total || claims.Count != Total)
            throw new InvalidOperationException($"claims: {claims.Count} handed out, {executing} EXECUTING, {Total} expected");
        return (Total / elapsed, claims.Count - claims.Distinct().Count(), claims.Count);
    }

    private static async Task<double> DrainRawAsync(string connectionString, int claimers)
    {
        const string pop = """
            UPDATE phases SET state = 'EXECUTING', claimed_by = @w, lease_expires_at = now() + interval '30 minutes'
            WHERE id = (SELECT id FROM phases WHERE state = 'QUEUED' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id
            """;
        var popped = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(async w =>
        {
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(pop, conn);
            cmd.Parameters.AddWithValue("w", $"raw-{w}");
            while (await cmd.ExecuteScalarAsync() is not null) Interlocked.Increment(ref popped);
        }));
        if (popped != Total) throw new InvalidOperationException($"raw pop drained {popped} of {Total}");
        return Total / clock.Elapsed.TotalSeconds;
    }
}
