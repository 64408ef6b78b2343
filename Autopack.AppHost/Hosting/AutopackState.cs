namespace Autopack.AppHost.Hosting;

/// <summary>
/// The local run's state folder (<c>AUTOPACK_STATE_DIR</c>, default <c>.autopack/</c> beside Autopack.sln): database
/// files, worktrees, dev credentials. Every service gets the same folder, so they share one SQLite file when used.
/// </summary>
public sealed record AutopackState(string Directory, DevCredentials? Credentials)
{
    public static AutopackState Create(IDistributedApplicationBuilder builder)
    {
        var dir = Path.GetFullPath(builder.Configuration["AUTOPACK_STATE_DIR"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, "..", ".autopack"));
        // Publishing writes files for another machine: nothing is created here.
        return builder.ExecutionContext.IsRunMode ? new(dir, DevCredentials.LoadOrCreate(dir)) : new(dir, null);
    }
}

public static class AutopackServiceExtensions
{
    /// <summary>
    /// What every Autopack service gets. References inject connection strings and service URLs only: Aspire's
    /// per-property variables (<c>AUTOPACK_HOST</c>, <c>AUTOPACK_PASSWORD</c> … for the <c>autopack</c> database) would
    /// land in Autopack's own <c>AUTOPACK_*</c> settings. In a local run also the state folder, the development key and
    /// admin sign-in, and the Development environment (which allows ephemeral JWT keys); published services get their
    /// secrets from the deployment.
    /// </summary>
    public static IResourceBuilder<T> WithAutopackDefaults<T>(this IResourceBuilder<T> builder, AutopackState state)
        where T : IResourceWithEnvironment
    {
        builder.WithAnnotation(new ReferenceEnvironmentInjectionAnnotation(
            ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery));
        if (state.Credentials is null) return builder;
        return builder
            .WithEnvironment("AUTOPACK_STATE_DIR", state.Directory)
            .WithEnvironment("AUTOPACK_API_KEY", state.Credentials.ApiKey)
            .WithEnvironment("AUTOPACK_ADMIN_USER", state.Credentials.AdminUser)
            .WithEnvironment("AUTOPACK_ADMIN_PASSWORD", state.Credentials.AdminPassword)
            .WithEnvironment("DOTNET_ENVIRONMENT", "Development");
    }
}
