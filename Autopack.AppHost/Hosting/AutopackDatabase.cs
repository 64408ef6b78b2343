using Microsoft.Extensions.Configuration;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// Where Autopack's database comes from. Published: always the PostgreSQL 15 container. Run mode: a configured
/// <c>ConnectionStrings:autopack</c>, else the container when an engine answers, else the machine's PostgreSQL
/// binaries, else the embedded SQLite file (said on the console and on <c>/health</c>).
/// </summary>
public sealed record AutopackDatabase(IResourceBuilder<IResourceWithConnectionString>? Resource, bool WaitForIt, string Description)
{
    /// <summary>The embedded default every service shares (relative to <c>AUTOPACK_STATE_DIR</c>).</summary>
    public const string SqliteUrl = "sqlite:///autopack.db";

    public static AutopackDatabase Add(IDistributedApplicationBuilder builder, string serverName, string databaseName, AutopackState state)
    {
        if (builder.ExecutionContext.IsRunMode && !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(databaseName)))
            return new(builder.AddConnectionString(databaseName), WaitForIt: false, $"the configured ConnectionStrings:{databaseName}");
        if (builder.ExecutionContext.IsPublishMode || ContainerRuntime.IsAvailable(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]))
        {
            var container = builder.AddPostgres(serverName)
                // The deployment guides require PostgreSQL 15; Aspire's default image is newer.
                .WithImageTag("15")
                .WithDataVolume("autopack-postgres-data")
                .AddDatabase(databaseName);
            return new(container, WaitForIt: true, "PostgreSQL 15 container");
        }
        if (LocalPostgresBuilderExtensions.FindPostgresBinaries(builder.Configuration["AUTOPACK_PG_BIN"]) is { } bin)
        {
            var local = builder.AddLocalPostgres(serverName, bin, state.Directory).AddDatabase(databaseName);
            return new(local, WaitForIt: true, $"local PostgreSQL from {bin}, data in {Path.Combine(state.Directory, serverName)}");
        }
        return new(null, WaitForIt: false, $"embedded SQLite at {Path.Combine(state.Directory, "autopack.db")} (no container engine, no PostgreSQL binaries)");
    }
}

public static class AutopackDatabaseExtensions
{
    /// <summary>The database as <c>ConnectionStrings__autopack</c> (waiting for it to be healthy), or the SQLite URL.</summary>
    public static IResourceBuilder<T> WithAutopackDatabase<T>(this IResourceBuilder<T> builder, AutopackDatabase database)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        if (database.Resource is null) return builder.WithEnvironment("DATABASE_URL", AutopackDatabase.SqliteUrl);
        builder.WithReference(database.Resource);
        return database.WaitForIt ? builder.WaitFor(database.Resource) : builder;
    }
}
