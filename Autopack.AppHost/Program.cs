using Autopack.AppHost.Hosting;
using Autopack.AppHost.Publishing;

// The map of Autopack: what runs, what each part references and what it waits for.
var builder = DistributedApplication.CreateBuilder(args);
var state = AutopackState.Create(builder);

var db = AutopackDatabase.Add(builder, "postgres", "autopack", state);
var qdrant = builder.AddQdrantWhereAvailable("qdrant");

// Schema only from the migrate verb, once, before any service starts; services never create it themselves.
var migrations = builder.AddProject<Projects.Autopack_Api>("migrations", options => options.ExcludeLaunchProfile = true)
    .WithArgs("migrate")
    .WithAutopackDefaults(state)
    .WithAutopackDatabase(db);

var api = builder.AddProject<Projects.Autopack_Api>("api")
    .WithHttpEndpoint(name: "http")
    .WithAutopackDefaults(state)
    .WithAutopackDatabase(db)
    .WaitForCompletion(migrations)
    .WithQdrant(qdrant)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.AddProject<Projects.Autopack_Executor>("executor")
    .WithHttpEndpoint(name: "http")
    .WithAutopackDefaults(state)
    .WithAutopackDatabase(db)
    .WaitForCompletion(migrations)
    .WithQdrant(qdrant)
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

// Exactly one relay: the lease makes a second one a standby anyway, but one replica is the contract.
builder.AddProject<Projects.Autopack_OutboxWorker>("outboxworker")
    .WithHttpEndpoint(name: "http")
    .WithReplicas(1)
    .WithAutopackDefaults(state)
    .WithAutopackDatabase(db)
    .WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");

builder.AddViteApp("web", "../Autopack.Web")
    .WithReference(api).WaitFor(api)
    .WithEnvironment("AUTOPACK_API_UPSTREAM", api.GetEndpoint("http"))
    .WithExternalHttpEndpoints();

builder.AddDeploymentPublishers();
builder.AddLocalRunSummary(state, db, qdrant);
builder.Build().Run();
