using System.Diagnostics;
using Autopack.Core.Data;
using Autopack.Hosting;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Tests.Foundation;

/// <summary>The services' data registration goes through Aspire's Npgsql EF Core integration on PostgreSQL.</summary>
[Trait("Category", "Db")]
public class AspireDataIntegrationTests
{
    private static IHost Build(TestDatabase db, IDictionary<string, string?> extra)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:autopack"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot,
        }.Concat(extra));
        builder.AddServiceDefaults();
        builder.AddAutopackPlatform("test");
        return builder.Build();
    }

    [Fact]
    public async Task On_postgres_the_context_gets_aspire_health_check_tracing_and_command_timeout_and_transactions_still_work()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        using var host = Build(db, new Dictionary<string, string?> { ["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:CommandTimeout"] = "17" });

        // Aspire's EF Core health check is registered and passes against the real server.
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).ToList();
        Assert.Contains(nameof(PostgresAutopackDbContext), checks);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == nameof(PostgresAutopackDbContext));
        Assert.Equal(HealthStatus.Healthy, report.Status);

        // Settings bound from Aspire's configuration section reach the context.
        await using var ctx = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        Assert.Equal(17, ctx.Database.GetCommandTimeout());

        // Npgsql's activity source is traced: a command inside an explicit transaction, which Aspire's retrying strategy
        // accepts because it runs inside the strategy (RunInTransactionAsync).
        // Npgsql's source is process-wide: other tests' commands finish on other threads while this one looks.
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        Assert.True(ctx.Database.CreateExecutionStrategy().RetriesOnFailure);
        await ctx.RunInTransactionAsync(() => ctx.Database.ExecuteSqlRawAsync("SELECT 1"));
        Assert.Contains(spans, s => s.TagObjects.Any(t => t.Key is "db.statement" or "db.query.text" && t.Value is string sql && sql.Contains("SELECT 1")));
    }

    [Fact]
    public async Task On_sqlite_nothing_of_aspire_is_added()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var host = Build(db, new Dictionary<string, string?>());
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);
        Assert.DoesNotContain(nameof(PostgresAutopackDbContext), checks);
    }
}
