using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Autopack.AppHost.Hosting;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.AppHost;

/// <summary>
/// The real AppHost, started once per test class through Aspire's <see cref="DistributedApplicationTestingBuilder"/>:
/// DCP runs the local PostgreSQL, the migration, the API, executor, outbox worker and the Vite dashboard. The executor
/// talks to a scripted OpenAI-compatible model server and the outbox worker delivers to a test webhook.
/// </summary>
public sealed class AutopackAppFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public string StateDir { get; } = Directory.CreateTempSubdirectory("autopack-apphost-").FullName;
    public DistributedApplication App { get; private set; } = null!;
    public DevCredentials Credentials { get; private set; } = null!;
    public FakeOpenAiServer Models { get; private set; } = null!;
    public WebhookReceiver Webhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Models = await FakeOpenAiServer.StartAsync(new ModelScript(r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix)));
        Webhook = await WebhookReceiver.StartAsync();
        App = await StartAsync(StateDir, appHost =>
        {
            appHost.CreateResourceBuilder<ProjectResource>("executor")
                .WithEnvironment("AUTOPACK_OPENAI_COMPAT_URL", Models.BaseUrl)
                .WithEnvironment("AUTOPACK_ESCALATION_LOW", "compat:cheap,compat:mid")
                .WithEnvironment("AUTOPACK_ESCALATION_MEDIUM", "compat:mid")
                .WithEnvironment("AUTOPACK_ESCALATION_HIGH", "compat:mid")
                .WithEnvironment("AUTOPACK_AUDITOR_MODEL", "compat:auditor")
                .WithEnvironment("AUTOPACK_POLL_INTERVAL_MS", "200");
            appHost.CreateResourceBuilder<ProjectResource>("outboxworker")
                .WithEnvironment("AUTOPACK_WEBHOOK_URLS", Webhook.Url)
                .WithEnvironment("AUTOPACK_OUTBOX_POLL_MS", "100");
        });
        Credentials = DevCredentials.LoadOrCreate(StateDir);
    }

    /// <summary>Builds and starts the AppHost with its state in <paramref name="stateDir"/>, waiting until api, executor and outbox worker are healthy.</summary>
    public static async Task<DistributedApplication> StartAsync(string stateDir, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Autopack_AppHost>([$"AUTOPACK_STATE_DIR={stateDir}"], cts.Token);
        appHost.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        configure?.Invoke(appHost);
        var app = await appHost.BuildAsync(cts.Token);
        try
        {
            await app.StartAsync(cts.Token);
            foreach (var service in new[] { "api", "executor", "outboxworker" })
                await app.ResourceNotifications.WaitForResourceHealthyAsync(service, cts.Token);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        await Models.DisposeAsync();
        await Webhook.DisposeAsync();
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
