using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Events;
using Autopack.Core.Execution;
using Autopack.Executor.Loop;
using Autopack.Executor.Loop.Stages;
using Autopack.Executor.Memory;
using Autopack.Executor.Models;
using Autopack.Executor.Prompts;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Startup;
using Autopack.Hosting;
using Microsoft.Extensions.AI;
using OpenAI;
using Qdrant.Client;

namespace Autopack.Executor.Extensions;

public static class ExecutorServiceExtensions
{
    /// <summary>The executor process: options from the environment, the loop as a hosted service.</summary>
    /// <param name="settings">The platform's settings (<c>AddAutopackPlatform</c>), which the options derive paths and rules from.</param>
    public static IHostApplicationBuilder AddExecutorServices(this IHostApplicationBuilder builder, AutopackSettings settings)
    {
        var options = ReadOptions(builder.Configuration, settings.StateRoot, settings.IsProduction);
        var models = ModelOptions.Load(builder.Configuration, settings);
        builder.Services.AddExecutorCore(options, models, settings);
        builder.Services.AddSingleton<IChatClientFactory, ProviderChatClientFactory>();
        builder.Services.AddSingleton<ApiIdentityCheck>();
        // /health's sandbox field; resolving it probes bwrap and logs the outcome at start.
        builder.Services.AddSingleton(sp =>
        {
            var sandbox = sp.GetRequiredService<CommandSandbox>();
            return new SandboxHealth(sandbox.Status, sandbox.NetworkPolicy, sandbox.Limits);
        });
        builder.Services.AddHostedService<ExecutorWorker>();
        // SIGTERM: runners release their phases promptly; give them time to write that down.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    /// <summary>
    /// Binds and validates the executor's and the sandbox's variables once; any problem stops the executor here, every problem
    /// named together. Bound before the host is built, not through <c>IOptions</c>, because the registrations below use the values.
    /// </summary>
    public static ExecutorOptions ReadOptions(IConfiguration configuration, string stateRoot, bool isProduction)
    {
        var problems = new List<string>();
        var executor = ConfigurationVariables.Bind(configuration, new ExecutorVariablesValidator(), problems);
        var sandbox = ConfigurationVariables.Bind(configuration, new SandboxVariablesValidator(), problems);
        if (problems.Count > 0)
            throw new InvalidOperationException("Executor configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => " - " + p)));
        return executor.ToOptions(stateRoot, sandbox.ToOptions(isProduction));
    }

    /// <summary>The loop's parts, without the host (tests build this around a scripted <see cref="IChatClientFactory"/>).</summary>
    public static IServiceCollection AddExecutorCore(this IServiceCollection services, ExecutorOptions options, ModelOptions models, AutopackSettings settings)
    {
        services.AddSingleton(options);
        services.AddSingleton(models);
        services.AddSingleton<PhaseClaimer>();
        services.AddSingleton<ModelRouter>();
        services.AddSingleton<PromptBuilder>();
        services.AddSingleton<UsageRecorder>();
        services.AddSingleton<PhaseLedger>();
        services.AddSingleton<LeaseWatcher>();
        services.AddSingleton<ApprovalGate>();
        services.AddSingleton<PhaseGuards>();
        services.AddSingleton<ModelCaller>();
        services.AddSingleton<BuilderStage>();
        services.AddSingleton<PatchStage>();
        services.AddSingleton<TestStage>();
        services.AddSingleton<AuditStage>();
        services.AddSingleton<LandingStage>();
        services.AddSingleton<AttemptPipeline>();
        services.AddSingleton<PhaseRunner>();
        services.AddSingleton(sp => new CommandSandbox(options.Sandbox, settings.StateRoot, sp.GetRequiredService<ILogger<CommandSandbox>>()));
        services.AddSingleton<ExecutorLoop>();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => CreateEmbedder(options, models));
        services.AddSingleton(sp => new PhaseMemory(CreateMemoryStore(sp, options, settings), sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetRequiredService<KillSwitchReader>(), sp.GetRequiredService<ILogger<PhaseMemory>>()));
        return services;
    }

    private static IMemoryStore? CreateMemoryStore(IServiceProvider sp, ExecutorOptions options, AutopackSettings settings)
    {
        if (!options.MemoryEnabled) return null;
        if (settings.Qdrant is not null) return new QdrantMemoryStore(sp.GetRequiredService<QdrantClient>(), options.QdrantCollection, sp.GetRequiredService<TimeProvider>());
        return new EmbeddedMemoryStore(sp.GetRequiredService<IAutopackDbFactory>(), options.QdrantCollection, sp.GetService<TimeProvider>());
    }

    /// <summary>AUTOPACK_EMBEDDINGS=openai:text-embedding-3-small or compat:nomic-embed-text (Ollama); unset → local hashing.</summary>
    private static IEmbeddingGenerator<string, Embedding<float>> CreateEmbedder(ExecutorOptions options, ModelOptions models)
    {
        if (options.EmbeddingModel is null) return new HashingEmbedder();
        var model = ModelRef.Parse(options.EmbeddingModel);
        if (!models.Providers.TryGetValue(model.Provider, out var provider) || provider.Kind != "openai")
            throw new InvalidOperationException($"AUTOPACK_EMBEDDINGS={options.EmbeddingModel}: embeddings need a configured OpenAI-compatible provider (openai, gemini or compat).");
        var clientOptions = new OpenAIClientOptions();
        if (provider.BaseUrl is not null) clientOptions.Endpoint = provider.BaseUrl;
        return new OpenAIClient(new System.ClientModel.ApiKeyCredential(provider.ApiKey ?? "not-needed"), clientOptions)
            .GetEmbeddingClient(model.Model).AsIEmbeddingGenerator();
    }
}
