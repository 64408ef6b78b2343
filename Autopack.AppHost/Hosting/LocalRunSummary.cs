using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// What a developer needs on the console of a local run, beside Aspire's own dashboard login line: where the
/// database and vector memory come from, and, once the web dashboard is up, its URL with the sign-in and API key.
/// </summary>
public static class LocalRunSummary
{
    public static IDistributedApplicationBuilder AddLocalRunSummary(this IDistributedApplicationBuilder builder, AutopackState state,
        AutopackDatabase database, IResourceBuilder<IResourceWithConnectionString>? qdrant)
    {
        if (state.Credentials is not { } credentials) return builder;
        builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Autopack");
            logger.LogInformation("Autopack state folder: {State}", state.Directory);
            logger.LogInformation("Database: {Database}", database.Description);
            logger.LogInformation("Vector memory: {Memory}", qdrant is not null ? $"Qdrant ({qdrant.Resource.Name})" : "embedded index (no container engine; set ConnectionStrings__qdrant for a Qdrant server)");
            return Task.CompletedTask;
        });
        foreach (var name in new[] { "api", "web" })
        {
            if (builder.Resources.FirstOrDefault(r => r.Name == name) is not IResourceWithEndpoints resource) continue;
            builder.Eventing.Subscribe<ResourceReadyEvent>(resource, (e, _) =>
            {
                var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Autopack");
                var url = resource.GetEndpoint("http").Url;
                logger.LogInformation("Autopack {Part} is ready at {Url}", name == "web" ? "dashboard" : "API", url);
                if (name == "web")
                    logger.LogInformation("Sign in as {User} / {Password}; development API key: {Key}", credentials.AdminUser, credentials.AdminPassword, credentials.ApiKey);
                return Task.CompletedTask;
            });
        }
        return builder;
    }
}
