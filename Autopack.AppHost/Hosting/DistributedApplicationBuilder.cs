namespace Autopack.AppHost.Hosting;

/// <summary>
/// Aspire's <c>DistributedApplication.CreateBuilder</c> shape, built from what exists here: the model is
/// declared once and then run locally (<see cref="LocalOrchestrator"/>) or published (manifest, Compose, Kubernetes).
/// </summary>
public sealed class DistributedApplicationBuilder(string[] args, string repositoryRoot)
{
    public string[] Args { get; } = args;
    public string RepositoryRoot { get; } = repositoryRoot;
    public List<Resource> Resources { get; } = [];

    public ParameterResource AddParameter(string name, bool secret = false) => Add(new ParameterResource(name, secret));

    public PostgresServerResource AddPostgres(string name, ParameterResource? password = null) =>
        Add(new PostgresServerResource(name, password ?? AddParameter($"{name}-password", secret: true)));

    public QdrantResource AddQdrant(string name, ParameterResource? apiKey = null) =>
        Add(new QdrantResource(name, apiKey ?? AddParameter($"{name}-Key", secret: true)));

    public ProjectResource AddProject(string name, string projectPath) => Add(new ProjectResource(name, projectPath));

    public ViteAppResource AddViteApp(string name, string directory) => Add(new ViteAppResource(name, directory));

    public T Add<T>(T resource) where T : Resource
    {
        if (Resources.Any(r => r.Name == resource.Name)) throw new InvalidOperationException($"Resource '{resource.Name}' is declared twice.");
        Resources.Add(resource);
        return resource;
    }

    public T Get<T>(string name) where T : Resource => Resources.OfType<T>().Single(r => r.Name == name);
}

public static class DistributedApplication
{
    public static DistributedApplicationBuilder CreateBuilder(string[] args) =>
        new(args, Core.Configuration.StatePaths.FindRepoRoot(Directory.GetCurrentDirectory())
                  ?? Core.Configuration.StatePaths.FindRepoRoot(AppContext.BaseDirectory)
                  ?? throw new InvalidOperationException("Run the AppHost from inside the Autopack repository (Autopack.sln not found)."));
}

public static class ResourceBuilderExtensions
{
    public static PostgresDatabaseResource AddDatabase(this PostgresServerResource server, string name)
    {
        var db = new PostgresDatabaseResource(name, server);
        server.Databases.Add(db);
        return db;
    }

    public static T WithReference<T>(this T resource, Resource dependency) where T : Resource { resource.References.Add(dependency); return resource; }

    public static T WaitFor<T>(this T resource, Resource dependency) where T : Resource { resource.WaitsFor.Add(dependency); return resource; }

    public static T WithEnvironment<T>(this T resource, string name, string value) where T : Resource { resource.Environment[name] = value; return resource; }

    public static ProjectResource WithHttpHealthCheck(this ProjectResource project, string path) { project.HealthPath = path; return project; }

    public static ProjectResource WithReplicas(this ProjectResource project, int replicas) { project.Replicas = replicas; return project; }

    public static ProjectResource WithExternalHttpEndpoints(this ProjectResource project) { project.External = true; return project; }

    public static ViteAppResource WithExternalHttpEndpoints(this ViteAppResource app) { app.External = true; return app; }
}
