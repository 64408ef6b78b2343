namespace Autopack.AppHost.Hosting;

/// <summary>
/// <c>AddViteApp</c>, as Aspire.Hosting.JavaScript gives it (not served here): the Vite dev server on the port Aspire
/// assigns, after an install step that runs <c>npm ci</c> whenever the lockfile is newer than <c>node_modules</c>, so a
/// fresh clone needs no manual step. Published, it is the app's Dockerfile (nginx serving the built assets).
/// </summary>
public static class ViteAppBuilderExtensions
{
    public static IResourceBuilder<ExecutableResource> AddViteApp(this IDistributedApplicationBuilder builder, string name, string appDirectory)
    {

        appDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, appDirectory));
        var app = builder.AddExecutable(name, "npm", appDirectory, "run", "dev", "--", "--strictPort", "--host", "127.0.0.1")
            // Only the API's URL (services__api__http__0), none of Aspire's extra per-endpoint variables.
            .WithAnnotation(new ReferenceEnvironmentInjectionAnnotation(ReferenceEnvironmentInjectionFlags.ServiceDiscovery))
            .WithHttpEndpoint(env: "PORT")
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(((IResourceWithEndpoints)context.Resource).GetEndpoint("http").Property(EndpointProperty.TargetPort));
            })
            .WithHttpHealthCheck("/")
            // The front door's nginx listens on 8080 (Autopack.Web/Dockerfile).
            .PublishAsDockerFile(container => container.WithEndpoint("http", e => e.TargetPort = 8080));
        if (builder.ExecutionContext.IsRunMode)
        {
            // npm writes node_modules/.package-lock.json on every install: newer than the lockfile means up to date.
            var install = builder.AddExecutable($"{name}-install", "sh", appDirectory, "-c",
                    "if [ node_modules/.package-lock.json -nt package-lock.json ]; then echo 'node_modules is up to date'; " +
                    "else exec npm ci --no-audit --no-fund; fi")
                .WithParentRelationship(app);
            app.WaitForCompletion(install);
        }
        return app;
    }
}
