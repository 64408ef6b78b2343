using System.Text.Json;
using System.Text.Json.Nodes;
using Autopack.AppHost.Hosting;

namespace Autopack.AppHost.Publishing;

/// <summary>
/// Writes the Aspire manifest (the format azd and aspirate read): parameter.v0, container.v0, value.v0,
/// project.v0 and dockerfile.v0 resources, with the same expressions Aspire 9.5 emits.
/// </summary>
public static class ManifestPublisher
{
    private static readonly JsonObject OtelEnv = new()
    {
        ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
        ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
        ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
    };

    public static string Render(DistributedApplicationBuilder model, string outputPath)
    {
        var manifestDir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        string Rel(string repoRelative) => Path.GetRelativePath(manifestDir, Path.Combine(model.RepositoryRoot, repoRelative)).Replace('\\', '/');
        var resources = new JsonObject();
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case ParameterResource p:
                    var input = new JsonObject { ["type"] = "string", ["secret"] = p.Secret };
                    if (p.Secret) input["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = 22, ["special"] = false } };
                    resources[p.Name] = new JsonObject { ["type"] = "parameter.v0", ["value"] = $"{{{p.Name}.inputs.value}}", ["inputs"] = new JsonObject { ["value"] = input } };
                    break;
                case PostgresServerResource pg:
                    resources[pg.Name] = new JsonObject
                    {
                        ["type"] = "container.v0",
                        ["connectionString"] = $"Host={{{pg.Name}.bindings.tcp.host}};Port={{{pg.Name}.bindings.tcp.port}};Username=postgres;Password={{{pg.Password.Name}.value}}",
                        ["image"] = $"{PostgresServerResource.Image}:{PostgresServerResource.Tag}",
                        ["volumes"] = new JsonArray(new JsonObject { ["name"] = "autopack-postgres-data", ["target"] = "/var/lib/postgresql/data", ["readOnly"] = false }),
                        ["env"] = new JsonObject
                        {
                            ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
                            ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
                            ["POSTGRES_USER"] = "postgres",
                            ["POSTGRES_PASSWORD"] = $"{{{pg.Password.Name}.value}}",
                        },
                        ["bindings"] = new JsonObject { ["tcp"] = Binding("tcp", "tcp", targetPort: 5432) },
                    };
                    foreach (var db in pg.Databases)
                        resources[db.Name] = new JsonObject { ["type"] = "value.v0", ["connectionString"] = $"{{{pg.Name}.connectionString}};Database={db.Name}" };
                    break;
                case QdrantResource q:
                    resources[q.Name] = new JsonObject
                    {
                        ["type"] = "container.v0",
                        // Autopack talks to Qdrant over REST, so the connection string names the http binding.
                        ["connectionString"] = $"Endpoint={{{q.Name}.bindings.http.url}};Key={{{q.ApiKey.Name}.value}}",
                        ["image"] = $"{QdrantResource.Image}:{QdrantResource.Tag}",
                        ["volumes"] = new JsonArray(new JsonObject { ["name"] = "autopack-qdrant-data", ["target"] = "/qdrant/storage", ["readOnly"] = false }),
                        ["env"] = new JsonObject { ["QDRANT__SERVICE__API_KEY"] = $"{{{q.ApiKey.Name}.value}}", ["QDRANT__SERVICE__ENABLE_STATIC_CONTENT"] = "0" },
                        ["bindings"] = new JsonObject
                        {
                            ["grpc"] = Binding("http", "http2", targetPort: 6334),
                            ["http"] = Binding("http", "http", targetPort: 6333),
                        },
                    };
                    break;
                case ProjectResource project:
                    var env = (JsonObject)OtelEnv.DeepClone();
                    env["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true";
                    env["HTTP_PORTS"] = $"{{{project.Name}.bindings.http.targetPort}}";
                    AddReferences(env, project);
                    foreach (var (k, v) in project.Environment) env[k] = v;
                    resources[project.Name] = new JsonObject
                    {
                        ["type"] = "project.v0",
                        ["path"] = Rel(project.ProjectPath),
                        ["env"] = env,
                        ["bindings"] = new JsonObject
                        {
                            ["http"] = Binding("http", "http", external: project.External),
                            ["https"] = Binding("https", "http", external: project.External),
                        },
                    };
                    break;
                case ViteAppResource web:
                    var webEnv = new JsonObject { ["NODE_ENV"] = "production", ["PORT"] = $"{{{web.Name}.bindings.http.targetPort}}" };
                    AddReferences(webEnv, web);
                    // The front door's nginx template reads the API upstream from this variable.
                    webEnv["AUTOPACK_API_UPSTREAM"] = "{api.bindings.http.url}";
                    resources[web.Name] = new JsonObject
                    {
                        ["type"] = "dockerfile.v0",
                        ["path"] = Rel(Path.Combine(web.Directory, "Dockerfile")),
                        ["context"] = Rel(web.Directory),
                        ["env"] = webEnv,
                        ["bindings"] = new JsonObject { ["http"] = Binding("http", "http", targetPort: 8080, external: web.External) },
                    };
                    break;
            }
        }
        var manifest = new JsonObject { ["$schema"] = "https://json.schemastore.org/aspire-8.0.json", ["resources"] = resources };
        return manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static void AddReferences(JsonObject env, Resource resource)
    {
        foreach (var reference in resource.References)
        {
            switch (reference)
            {
                case PostgresDatabaseResource or QdrantResource:
                    env[$"ConnectionStrings__{reference.Name}"] = $"{{{reference.Name}.connectionString}}";
                    break;
                case ProjectResource p:
                    env[$"services__{p.Name}__http__0"] = $"{{{p.Name}.bindings.http.url}}";
                    env[$"services__{p.Name}__https__0"] = $"{{{p.Name}.bindings.https.url}}";
                    break;
            }
        }
    }

    private static JsonObject Binding(string scheme, string transport, int? targetPort = null, bool external = false)
    {
        var b = new JsonObject { ["scheme"] = scheme, ["protocol"] = "tcp", ["transport"] = transport };
        if (targetPort is not null) b["targetPort"] = targetPort;
        if (external) b["external"] = true;
        return b;
    }
}
