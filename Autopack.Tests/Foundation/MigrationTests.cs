using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Db")]
public class MigrationTests
{
    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Migrations_create_every_table_and_a_second_run_is_a_no_op(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var ctx = db.CreateContext();

        Assert.Empty(await ctx.Database.GetPendingMigrationsAsync());
        Assert.Empty(await SchemaGuard.MigrateAsync(ctx));

        ctx.Runs.Add(new Run { Id = "r1", Tiers = [new Tier { RunId = "r1", TierId = "T1" }],
            Phases = [new Phase { RunId = "r1", PhaseId = "P1", TierId = "T1", ScopePaths = ["src/a.cs"] }] });
        await ctx.SaveChangesAsync();
        await using var again = db.CreateContext();
        var phase = await again.Phases.SingleAsync();
        Assert.Equal(["src/a.cs"], phase.ScopePaths);
        Assert.Equal(PhaseState.Queued, phase.State);
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Every_model_change_has_its_migration(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, migrate: false);
        await using var ctx = db.CreateContext();
        Assert.False(ctx.Database.HasPendingModelChanges(),
            $"the {provider} model differs from its migrations' snapshot: add a migration for both providers (docs: Autopack.Core/Data/DesignTimeFactories.cs)");
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Concurrent_migrators_do_not_race(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, migrate: false);
        var runs = Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var ctx = db.CreateContext();
            await SchemaGuard.MigrateAsync(ctx);
        });
        await Task.WhenAll(runs);
        await using var check = db.CreateContext();
        Assert.Empty(await check.Database.GetPendingMigrationsAsync());
        Assert.Equal(check.Database.GetMigrations(), await check.Database.GetAppliedMigrationsAsync()); // each once, in order
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Guardrail_refuses_a_missing_schema_and_names_both_fixes(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, migrate: false);
        await using var ctx = db.CreateContext();
        var ex = await Assert.ThrowsAsync<SchemaNotReadyException>(() =>
            SchemaGuard.EnsureAsync(ctx, bootstrap: false, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Contains("AUTOPACK_DB_BOOTSTRAP=1", ex.Message);
        Assert.Contains("dotnet Autopack.Api.dll migrate", ex.Message);
        Assert.Empty(await ctx.Database.GetAppliedMigrationsAsync());

        await SchemaGuard.EnsureAsync(ctx, bootstrap: true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Empty(await ctx.Database.GetPendingMigrationsAsync());
    }
}
