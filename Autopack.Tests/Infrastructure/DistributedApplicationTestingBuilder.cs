using Autopack.AppHost;
using Autopack.AppHost.Hosting;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// Shaped like Aspire's <c>DistributedApplicationTestingBuilder</c>: builds the AppHost's own model, starts the
/// real processes (with a real PostgreSQL), waits for resources, and hands out HttpClients by resource name.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static Task<TestingApplication> CreateAsync(string[]? args = null)
    {
        var model = AutopackAppModel.Build(DistributedApplication.CreateBuilder(args ?? []));
        return Task.FromResult(new TestingApplication(model));
    }
}

public sealed class TestingApplication(DistributedApplicationBuilder model) : IAsyncDisposable
{
    private LocalOrchestrator? _run;

    public DistributedApplicationBuilder Model { get; } = model;
    public string StateDir { get; } = Directory.CreateTempSubdirectory("autopack-apphost-").FullName;
    public LocalOrchestrator Run => _run ?? throw new InvalidOperationException("Start the application first.");

    /// <summary>Starts every resource from the existing build (the test run has built the solution).</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        _run = new LocalOrchestrator(Model, new LocalRunOptions(StateDir, Build: false));
        await _run.StartAsync(ct);
    }

    public async Task WaitForResourceHealthyAsync(string name, TimeSpan? timeout = null)
    {
        var process = Run.Processes.Single(p => p.Name == name);
        if (!await process.WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(60), CancellationToken.None))
            throw new TimeoutException($"{name} is {process.State}/{process.Health}; log: {File.ReadAllText(Path.Combine(Run.LogDir, name + ".log"))}");
    }

    public HttpClient CreateHttpClient(string name) => new() { BaseAddress = new Uri(Run.Urls[name]) };

    public async ValueTask DisposeAsync()
    {
        if (_run is not null) await _run.DisposeAsync();
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
