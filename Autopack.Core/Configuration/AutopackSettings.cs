using Microsoft.Extensions.Configuration;

namespace Autopack.Core.Configuration;

/// <summary>
/// What every Autopack service knows about its environment, resolved once at start from configuration
/// (environment variables, <c>*_FILE</c> secrets, test overrides).
/// </summary>
public sealed class AutopackSettings
{
    public required string Component { get; init; }
    public required bool IsProduction { get; init; }
    public required string StateRoot { get; init; }
    public required DatabaseConnection Database { get; init; }
    public required QdrantConnection? Qdrant { get; init; }
    public required IReadOnlyDictionary<string, string> Secrets { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required bool Bootstrap { get; init; }
    public required string Version { get; init; }

    public string? Secret(string name) => Secrets.GetValueOrDefault(name);

    /// <summary>Resolves everything or throws one exception that names every problem.</summary>
    public static AutopackSettings Load(IConfiguration configuration, string component, string version)
    {
        string? Env(string key) => configuration[key];
        var (secrets, warnings) = new SecretResolver(Env).ResolveAll();
        var production = ProductionReadiness.IsProduction(Env);
        if (production)
        {
            var problems = ProductionReadiness.Check(secrets, Env);
            if (problems.Count > 0) throw new ProductionConfigurationException(problems);
        }
        var stateRoot = StatePaths.Root(Env);
        var database = DatabaseConnection.Resolve(configuration.GetConnectionString("autopack"), secrets.GetValueOrDefault(SecretNames.DatabaseUrl), stateRoot);
        var qdrant = QdrantConnection.Resolve(configuration.GetConnectionString("qdrant"), Env("QDRANT_URL"), secrets.GetValueOrDefault(SecretNames.QdrantApiKey));
        return new AutopackSettings
        {
            Component = component,
            IsProduction = production,
            StateRoot = stateRoot,
            Database = database,
            Qdrant = qdrant,
            Secrets = secrets,
            Warnings = warnings,
            Bootstrap = Env(Data.SchemaGuard.BootstrapVariable) is "1" or "true",
            Version = string.IsNullOrWhiteSpace(Env("AUTOPACK_VERSION")) ? version : Env("AUTOPACK_VERSION")!,
        };
    }
}
