using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Executor.Extensions;
using Autopack.Executor.Loop;
using Autopack.Executor.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The real executor loop in-process: real PostgreSQL (TestDatabase), a real git target repository, real
/// test commands; only the model is scripted (<see cref="ScriptedChatClient"/>, provider "scripted"). Logs go to the
/// test's output; an error log the test did not declare in <see cref="ExpectedErrors"/> fails it at dispose.
/// </summary>
public sealed class ExecutorHarness : IAsyncDisposable
{
    public required TestDatabase Db { get; init; }
    public required TargetRepo Repo { get; init; }
    public required ModelScript Script { get; init; }
    public required ServiceProvider Services { get; init; }
    public required ExecutorOptions Options { get; init; }
    public required XunitLoggerProvider Logs { get; init; }
    /// <summary>Errors this test provokes on purpose; any other logged error fails the test.</summary>
    public Func<LoggedError, bool> ExpectedErrors { get; set; } = _ => false;
    private CancellationTokenSource? _cts;
    private Task? _loop;

    public static ModelOptions ScriptedModels(bool configured = true) => new()
    {
        Providers = configured
            ? new Dictionary<string, ProviderConfig> { ["scripted"] = new("scripted", "scripted", null, null, TimeSpan.FromSeconds(30)) }
            : new Dictionary<string, ProviderConfig>(),
        Escalation = new Dictionary<Complexity, IReadOnlyList<EscalationStep>>
        {
            [Complexity.Low] = [EscalationStep.Parse("scripted:cheap"), EscalationStep.Parse("scripted:mid"), EscalationStep.Parse("scripted:strong")],
            [Complexity.Medium] = [EscalationStep.Parse("scripted:mid"), EscalationStep.Parse("scripted:strong")],
            [Complexity.High] = [EscalationStep.Parse("scripted:strong")],
        },
        Auditor = EscalationStep.Parse("scripted:auditor"),
    };

    public static async Task<ExecutorHarness> CreateAsync(Func<ScriptedRequest, ScriptedAnswer> answer,
        Func<ExecutorOptions, ExecutorOptions>? tune = null, ModelOptions? models = null, string provider = TestDatabase.Postgres,
        ITestOutputHelper? output = null, IChatClientFactory? chatClients = null)
    {
        var db = await TestDatabase.CreateAsync(provider);
        var repo = TargetRepo.CreateGreeting();
        var script = new ModelScript(answer);
        var settings = new AutopackSettings
        {
            Component = "executor", IsProduction = false, StateRoot = db.StateRoot, Database = db.Connection, Qdrant = null,
            Secrets = new Dictionary<string, string>(), Warnings = [], Bootstrap = false, Version = "test",
        };
        var options = new ExecutorOptions
        {
            WorkerId = "inproc-" + Guid.NewGuid().ToString("N")[..6],
            WorktreeRoot = Path.Combine(db.StateRoot, "worktrees"),
            PollInterval = TimeSpan.FromMilliseconds(100),
            ApprovalPollInterval = TimeSpan.FromMilliseconds(100),
            Lease = TimeSpan.FromSeconds(6),
            TestTimeout = TimeSpan.FromSeconds(60),
        };
        options = tune?.Invoke(options) ?? options;
        var services = new ServiceCollection();
        var logs = new XunitLoggerProvider(output);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning).AddProvider(logs));
        services.AddSingleton(settings);
        services.AddAutopackData(db.Connection);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<KillSwitchReader>();
        services.AddExecutorCore(options, models ?? ScriptedModels(), settings);
        services.AddSingleton(chatClients ?? new ScriptedChatClientFactory(script));
        return new ExecutorHarness { Db = db, Repo = repo, Script = script, Services = services.BuildServiceProvider(), Options = options, Logs = logs };
    }

    public AutopackDbContext Context() => Db.CreateContext();

    public async Task<Run> SeedAsync(string runId, params RunSeeder.PhaseSpec[] phases) => await SeedAsync(runId, RunCaps.DefaultTokenCap, phases);

    public async Task<Run> SeedAsync(string runId, long tokenCap, params RunSeeder.PhaseSpec[] phases)
    {
        await using var ctx = Context();
        return await RunSeeder.SeedAsync(ctx, runId, Repo.Path, phases, tokenCap);
    }

    public void Start()
    {
        _cts = new CancellationTokenSource();
        var loop = Services.GetRequiredService<ExecutorLoop>();
        _loop = Task.Run(() => loop.RunAsync(_cts.Token));
    }

    /// <summary>Like SIGTERM: cancel and wait for the runners to finish or release their phases.</summary>
    public async Task StopAsync()
    {
        if (_cts is null) return;
        await _cts.CancelAsync();
        await _loop!.WaitAsync(TimeSpan.FromSeconds(30));
        _cts = null;
    }

    public async Task<T> WaitForAsync<T>(Func<AutopackDbContext, Task<T?>> probe, TimeSpan? timeout = null, string what = "condition")
    {
        try
        {
            return (await Eventually.UntilAsync(what, async () =>
            {
                if (_loop is { IsFaulted: true }) throw new InvalidOperationException("executor loop crashed", _loop.Exception);
                await using var ctx = Context();
                return await probe(ctx);
            }, value => value is not null && value is not false, timeout ?? TimeSpan.FromSeconds(30)))!;
        }
        catch (EventuallyException ex)
        {
            throw new EventuallyException($"{ex.Message}; state: {await DescribeAsync()}");
        }
    }

    public Task<Run> WaitForRunAsync(string runId, RunState state, TimeSpan? timeout = null) =>
        WaitForAsync(async ctx => await ctx.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId && r.State == state), timeout, $"run {runId} {state}");

    /// <summary>Runs, phases and attempts as text, for timeout messages.</summary>
    public async Task<string> DescribeAsync()
    {
        await using var ctx = Context();
        var runs = await ctx.Runs.AsNoTracking().Select(r => $"{r.Id}:{r.State}:{r.PauseReason}{r.FailureReason}").ToListAsync();
        var phases = await ctx.Phases.AsNoTracking().Select(p => $"{p.PhaseId}:{p.State}:{p.Attempts}:{p.FailureReason}:{p.StatusReason}:{p.NotBefore}").ToListAsync();
        var attempts = await ctx.PhaseAttempts.AsNoTracking().Select(a => $"{a.PhaseId}#{a.Number}:{a.Outcome}:{a.FailureReason}:{a.TestOutput}").ToListAsync();
        return $"runs [{string.Join("; ", runs)}] phases [{string.Join("; ", phases)}] attempts [{string.Join("; ", attempts)}] model calls {Script.Requests.Count}";
    }

    public async Task<List<Phase>> PhasesAsync(string runId)
    {
        await using var ctx = Context();
        return await ctx.Phases.AsNoTracking().Where(p => p.RunId == runId).OrderBy(p => p.Index).ToListAsync();
    }

    public async Task<List<PhaseAttempt>> AttemptsAsync(string runId, string phaseId)
    {
        await using var ctx = Context();
        return await ctx.PhaseAttempts.AsNoTracking().Where(a => a.RunId == runId && a.PhaseId == phaseId).OrderBy(a => a.Number).ToListAsync();
    }

    public async Task SetKillSwitchAsync(string name, bool enabled)
    {
        await using var ctx = Context();
        var row = await ctx.KillSwitches.SingleOrDefaultAsync(k => k.Name == name);
        if (row is null) ctx.KillSwitches.Add(new KillSwitch { Name = name, Enabled = enabled, UpdatedBy = "test" });
        else row.Enabled = enabled;
        await ctx.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); } catch (Exception) { }
        await Services.DisposeAsync();
        Repo.Dispose();
        await Db.DisposeAsync();
        var unexpected = Logs.Errors.Where(e => !ExpectedErrors(e)).ToList();
        if (unexpected.Count > 0)
            throw new Xunit.Sdk.XunitException($"The executor logged {unexpected.Count} unexpected error(s):{Environment.NewLine}{string.Join(Environment.NewLine, unexpected.Take(5))}");
    }

    /// <summary>Run events of one phase, oldest first.</summary>
    public async Task<List<RunEvent>> EventsAsync(string runId, string phaseId)
    {
        await using var ctx = Context();
        return await ctx.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.PhaseId == phaseId).OrderBy(e => e.Sequence).ToListAsync();
    }
}
