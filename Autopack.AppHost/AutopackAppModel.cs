using Autopack.AppHost.Hosting;

namespace Autopack.AppHost;

/// <summary>The Autopack app model: the one place that says what runs, what it references and what it waits for.</summary>
public static class AutopackAppModel
{
    public static DistributedApplicationBuilder Build(DistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres("postgres");
        var db = postgres.AddDatabase("autopack");
        var qdrant = builder.AddQdrant("qdrant");

        var api = builder.AddProject("api", "Autopack.Api/Autopack.Api.csproj")
            .WithReference(db).WaitFor(db)
            .WithReference(qdrant)
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints();

        builder.AddProject("executor", "Autopack.Executor/Autopack.Executor.csproj")
            .WithReference(db).WithReference(qdrant)
            .WithReference(api).WaitFor(api)
            .WithHttpHealthCheck("/health");

        // Exactly one relay: the lease makes a second one a standby anyway, but one replica is the contract.
        builder.AddProject("outboxworker", "Autopack.OutboxWorker/Autopack.OutboxWorker.csproj")
            .WithReference(db).WaitFor(api)
            .WithReplicas(1)
            .WithHttpHealthCheck("/health");

        builder.AddViteApp("web", "Autopack.Web")
            .WithReference(api).WaitFor(api)
            .WithExternalHttpEndpoints();
        return builder;
    }
}
