using Autopack.Api.Apis;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Execution;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Tests.Foundation;

/// <summary>
/// Retries on PostgreSQL: the services' own registration (Aspire's Npgsql EF Core integration, retrying strategy on), a real
/// server, and a connection really dropped (<c>pg_terminate_backend</c>) in the middle of a state change's transaction or
/// after its commit. The transaction is rerun whole and writes everything exactly once; with retries off the same fault
/// is a clear error and nothing of the transaction is left behind.
/// </summary>
public class TransactionRetryTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static bool IsOutboxInsert(string sql) => sql.Contains("INSERT INTO outbox_messages", StringComparison.OrdinalIgnoreCase);

    /// <summary>The services' registration (<c>AddAutopackData</c> on the host builder) with the fault added to the context's options.</summary>
    private static IHost Build(TestDatabase db, ConnectionFault fault, bool retries)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableRetry"] = retries ? "false" : "true",
        });
        builder.AddAutopackData(db.Connection);
        builder.Services.ConfigureDbContext<PostgresAutopackDbContext>(o => o.AddInterceptors(fault));
        builder.Services.AddSingleton<RunCreator>().AddSingleton<RunControl>().AddSingleton(Options.Create(new JsonOptions()));
        return builder.Build();
    }

    private static CreateRunRequest Plan(string runId) => new(runId, "retry test", null, null, null, null,
        [new TierRequest("T1", "Tier one", null)],
        [new PhaseRequest("P1", "T1", "Phase one", "do it", "low", new ScopeRequest(["a.txt"], []), "true", null)]);

    private static async Task<List<(string Type, string? State)>> EventsAsync(TestDatabase db, string runId)
    {
        // A connection killed after its commit went back to the pool before anyone noticed; the check must not pick it up.
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var ctx = db.CreateContext();
        var events = await ctx.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence)); // gapless
        return events.Select(e => (e.Type, System.Text.Json.JsonDocument.Parse(e.Payload).RootElement.TryGetProperty("state", out var s) ? s.GetString() : null)).ToList();
    }

    private static async Task<List<string>> OutboxAsync(TestDatabase db, string runId)
    {
        await using var ctx = db.CreateContext();
        return await ctx.OutboxMessages.AsNoTracking().Where(m => m.RunId == runId).OrderBy(m => m.CreatedAt).Select(m => m.Type).ToListAsync();
    }

    [Fact]
    public async Task A_create_and_a_cancel_whose_connection_drops_mid_transaction_are_rerun_whole_with_each_event_and_outbox_row_once()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var fault = new ConnectionFault(db.Connection.ConnectionString);
        using var host = Build(db, fault, retries: true);

        // The drop comes after the run, its tiers and phases and the event's sequence bump were written in the transaction.
        fault.ArmAtCommand(IsOutboxInsert);
        var created = await host.Services.GetRequiredService<RunCreator>().CreateAsync(Plan("r1"), null, CancellationToken.None);
        Assert.Equal(1, fault.Dropped);
        Assert.Equal(RunCreator.Outcome.Created, created.Outcome);
        Assert.Equal([("run.created", "QUEUED")], await EventsAsync(db, "r1"));
        Assert.Equal(["run.created"], await OutboxAsync(db, "r1"));

        fault.ArmAtCommand(IsOutboxInsert);
        var cancelled = await host.Services.GetRequiredService<RunControl>().CancelAsync("r1", CancellationToken.None);
        Assert.Equal(2, fault.Dropped);
        Assert.Equal(new ControlResult.Done(), cancelled);
        Assert.Equal([("run.created", "QUEUED"), ("phase.state", "SKIPPED"), ("run.state", "CANCELLED")], await EventsAsync(db, "r1"));
        Assert.Equal(["run.created", "phase.state", "run.cancelled"], await OutboxAsync(db, "r1"));
        await using var check = db.CreateContext();
        Assert.Equal(RunState.Cancelled, (await check.Runs.SingleAsync()).State);
        Assert.Equal(PhaseState.Skipped, (await check.Phases.SingleAsync()).State);
    }

    [Fact]
    public async Task A_phase_claim_whose_connection_drops_mid_transaction_is_rerun_and_claims_once()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var fault = new ConnectionFault(db.Connection.ConnectionString);
        using var host = Build(db, fault, retries: true);
        await host.Services.GetRequiredService<RunCreator>().CreateAsync(Plan("r1"), null, CancellationToken.None);

        // After the conditional QUEUED → EXECUTING update of the first try.
        fault.ArmAtCommand(IsOutboxInsert);
        await using var ctx = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        var claim = await new PhaseClaimer(TimeProvider.System).ClaimNextAsync(ctx, "w1", Lease, maxParallelPerRun: 1);
        Assert.Equal(1, fault.Dropped);
        Assert.NotNull(claim);

        await using var check = db.CreateContext();
        var phase = await check.Phases.SingleAsync();
        Assert.Equal((PhaseState.Executing, claim.WorkerId), (phase.State, phase.ClaimedBy));
        Assert.Equal([("run.created", "QUEUED"), ("run.state", "RUNNING"), ("phase.state", "EXECUTING")], await EventsAsync(db, "r1"));
        Assert.Equal(["run.created", "run.state", "phase.state"], await OutboxAsync(db, "r1"));
        Assert.Null(await new PhaseClaimer(TimeProvider.System).ClaimNextAsync(ctx, "w2", Lease, maxParallelPerRun: 1));
    }

    [Fact]
    public async Task A_commit_whose_acknowledgement_is_lost_is_recognised_by_its_run_event_and_not_run_again()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var fault = new ConnectionFault(db.Connection.ConnectionString);
        using var host = Build(db, fault, retries: true);
        await host.Services.GetRequiredService<RunCreator>().CreateAsync(Plan("r1"), null, CancellationToken.None);
        await host.Services.GetRequiredService<RunCreator>().CreateAsync(Plan("r2"), null, CancellationToken.None);

        // A rerun would find the run already CANCELLED and answer Conflict; the claim's rerun would find no QUEUED phase.
        fault.ArmCommitAckLoss();
        Assert.Equal<ControlResult>(new ControlResult.Done(), await host.Services.GetRequiredService<RunControl>().CancelAsync("r1", CancellationToken.None));
        Assert.Equal(1, fault.Dropped);
        Assert.Equal([("run.created", "QUEUED"), ("phase.state", "SKIPPED"), ("run.state", "CANCELLED")], await EventsAsync(db, "r1"));
        Assert.Equal(["run.created", "phase.state", "run.cancelled"], await OutboxAsync(db, "r1"));

        fault.ArmCommitAckLoss();
        await using var ctx = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        var claim = await new PhaseClaimer(TimeProvider.System).ClaimNextAsync(ctx, "w1", Lease, maxParallelPerRun: 1);
        Assert.Equal(2, fault.Dropped);
        Assert.NotNull(claim);
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var check = db.CreateContext();
        Assert.Equal(claim.WorkerId, (await check.Phases.SingleAsync(p => p.RunId == "r2")).ClaimedBy);
        Assert.Equal([("run.created", "QUEUED"), ("run.state", "RUNNING"), ("phase.state", "EXECUTING")], await EventsAsync(db, "r2"));
    }

    [Fact]
    public async Task With_retries_off_the_same_drops_are_a_clear_error_and_leave_nothing_half_written()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var fault = new ConnectionFault(db.Connection.ConnectionString);
        using var host = Build(db, fault, retries: false);
        await host.Services.GetRequiredService<RunCreator>().CreateAsync(Plan("r1"), null, CancellationToken.None);

        fault.ArmAtCommand(IsOutboxInsert);
        var cancel = await Assert.ThrowsAnyAsync<Exception>(() => host.Services.GetRequiredService<RunControl>().CancelAsync("r1", CancellationToken.None));
        Assert.Contains("transient failure", cancel.Message); // Npgsql's advice to enable retries, with the dropped connection inside

        fault.ArmAtCommand(IsOutboxInsert);
        await using var ctx = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        await Assert.ThrowsAnyAsync<Exception>(() => new PhaseClaimer(TimeProvider.System).ClaimNextAsync(ctx, "w1", Lease, maxParallelPerRun: 1));
        Assert.Equal(2, fault.Dropped);

        await using var check = db.CreateContext();
        Assert.Equal(RunState.Queued, (await check.Runs.SingleAsync()).State);
        var phase = await check.Phases.SingleAsync();
        Assert.Equal((PhaseState.Queued, (string?)null), (phase.State, phase.ClaimedBy));
        Assert.Equal([("run.created", "QUEUED")], await EventsAsync(db, "r1"));
        Assert.Equal(["run.created"], await OutboxAsync(db, "r1"));
    }

    [Theory]
    [InlineData(TestDatabase.Postgres, true)]
    [InlineData(TestDatabase.Sqlite, false)]
    public async Task Both_registrations_retry_on_postgres_only(string provider, bool retries)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddAutopackData(db.Connection);
        using var host = builder.Build();
        await using var fromHost = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        Assert.Equal(retries, fromHost.Database.CreateExecutionStrategy().RetriesOnFailure);

        // The executor harness's registration, without a host: the same default.
        await using var services = new ServiceCollection().AddAutopackData(db.Connection).BuildServiceProvider();
        await using var fromServices = services.GetRequiredService<IAutopackDbFactory>().Create();
        Assert.Equal(retries, fromServices.Database.CreateExecutionStrategy().RetriesOnFailure);
    }

    /// <summary>Aspire binds its settings from its section and then from the one named after the context; our strategy follows both.</summary>
    [Theory]
    [InlineData("Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableRetry")]
    [InlineData("Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:PostgresAutopackDbContext:DisableRetry")]
    public async Task Aspire_s_DisableRetry_turns_retries_off_from_either_section_Aspire_reads(string key)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = "true" });
        builder.AddAutopackData(db.Connection);
        using var host = builder.Build();
        await using var ctx = host.Services.GetRequiredService<IAutopackDbFactory>().Create();
        Assert.False(ctx.Database.CreateExecutionStrategy().RetriesOnFailure);
    }
}
