using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Autopack.Tests.Foundation;

/// <summary>
/// <c>run_counts</c> (PostgreSQL): its rows add up, by state, to the runs in that state — after the migration on a table
/// that already has runs, through inserts, state changes and deletes, and while writers and two folders run at once.
/// </summary>
[Trait("Category", "Db")]
public class RunCountsTests
{
    [Fact]
    public async Task The_migration_counts_the_runs_already_there_and_the_triggers_follow_inserts_state_changes_deletes_and_truncate()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres, migrate: false);
        await using (var ctx = db.CreateContext())
        {
            await ctx.GetService<IMigrator>().MigrateAsync("20261202021921_SandboxNetwork");
            ctx.Runs.AddRange(NewRun("old-1"), NewRun("old-2"), NewRun("old-3", RunState.Failed));
            await ctx.SaveChangesAsync();
            await SchemaGuard.MigrateAsync(ctx);
        }
        await AssertCountsMatchAsync(db, expectedTotal: 3);

        await using (var ctx = db.CreateContext())
        {
            ctx.Runs.Add(NewRun("new-1"));
            await ctx.SaveChangesAsync();
            await ctx.Runs.Where(r => r.Id == "old-1").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Running));
            await ctx.Runs.Where(r => r.Id == "old-2").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Queued)); // unchanged
            await ctx.Runs.Where(r => r.Id == "old-3").ExecuteDeleteAsync();
        }
        var counts = await AssertCountsMatchAsync(db, expectedTotal: 3);
        Assert.Equal(new Dictionary<string, long> { ["QUEUED"] = 2, ["RUNNING"] = 1 }, counts);

        await using (var ctx = db.CreateContext())
        {
            await RunCountCompactor.FoldAsync(ctx, CancellationToken.None);
            Assert.Equal(2, await RowsAsync(ctx)); // one row per state left
            await ctx.Database.ExecuteSqlRawAsync("TRUNCATE runs CASCADE");
        }
        await AssertCountsMatchAsync(db, expectedTotal: 0);
    }

    [Fact]
    public async Task Counts_stay_exact_while_writers_change_runs_and_two_replicas_fold_at_once()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var states = Enum.GetValues<RunState>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await using var ctx = db.CreateContext();
                ctx.Runs.Add(NewRun($"w{w}-{i}"));
                await ctx.SaveChangesAsync();
                if (i % 2 == 1) await ctx.Runs.Where(r => r.Id == $"w{w}-{i - 1}").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, states[i % states.Length]));
                if (i % 5 == 4) await ctx.Runs.Where(r => r.Id == $"w{w}-{i - 2}").ExecuteDeleteAsync();
            }
        })).ToList();
        var folders = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var folds = 0;
            while (!stop.IsCancellationRequested)
            {
                await using var ctx = db.CreateContext();
                await RunCountCompactor.FoldAsync(ctx, CancellationToken.None);
                folds++;
            }
            return folds;
        })).ToList();
        var done = await Task.WhenAll(folders);
        await Task.WhenAll(writers);

        Assert.All(done, folds => Assert.True(folds > 0));
        await using var check = db.CreateContext();
        var total = await check.Runs.CountAsync();
        Assert.True(total > 10, $"the writers wrote only {total} runs");
        await AssertCountsMatchAsync(db, total);
    }

    private static Run NewRun(string id, RunState state = RunState.Queued) => new() { Id = id, Name = id, State = state };

    /// <summary>Asserts sum(delta) by state equals count(*) by state; returns the counts (states with no run left out).</summary>
    private static async Task<Dictionary<string, long>> AssertCountsMatchAsync(TestDatabase db, long expectedTotal)
    {
        await using var ctx = db.CreateContext();
        var counted = await ctx.Database.SqlQueryRaw<StateCount>("SELECT state AS \"State\", count(*) AS \"Count\" FROM runs GROUP BY state").ToListAsync();
        var kept = await ctx.Database.SqlQueryRaw<StateCount>(
            "SELECT state AS \"State\", sum(delta) AS \"Count\" FROM run_counts GROUP BY state HAVING sum(delta) <> 0").ToListAsync();
        var expected = counted.ToDictionary(c => c.State, c => c.Count);
        Assert.Equal(expected, kept.ToDictionary(c => c.State, c => c.Count));
        Assert.Equal(expectedTotal, expected.Values.Sum());
        return expected;
    }

    private static async Task<long> RowsAsync(AutopackDbContext ctx) =>
        await ctx.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM run_counts").SingleAsync();

    private sealed record StateCount(string State, long Count);
}
