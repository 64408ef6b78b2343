#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // Aspire's pipeline API is marked experimental in 13.x.
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.AppHost.Publishing;

/// <summary>
/// The Compose and Kubernetes generators as steps of Aspire's publish pipeline: each reads the published model and
/// writes under the pipeline's output folder (<c>compose/</c>, <c>k8s/</c>).
/// <c>dotnet run --project Autopack.AppHost -- --operation publish --step publish --output-path ../deploy</c>
/// writes both; <c>--step publish-compose</c> or <c>--step publish-k8s</c> one of them.
/// </summary>
public static class DeploymentPublishers
{
    public static IDistributedApplicationBuilder AddDeploymentPublishers(this IDistributedApplicationBuilder builder)
    {
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        AddStep(builder, "publish-compose", "compose", model => ComposePublisher.Render(DeploymentModel.From(model, repositoryRoot)));
        AddStep(builder, "publish-k8s", "k8s", model => KubernetesPublisher.Render(DeploymentModel.From(model, repositoryRoot)));
        return builder;
    }

    private static void AddStep(IDistributedApplicationBuilder builder, string name, string folder,
        Func<Aspire.Hosting.ApplicationModel.DistributedApplicationModel, IReadOnlyDictionary<string, string>> render)
    {
        builder.Pipeline.AddStep(name, async context =>
        {
            var files = render(context.Model);
            var dir = Path.Combine(context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory(), folder);
            foreach (var (file, content) in files)
            {
                var path = Path.Combine(dir, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, content, context.CancellationToken);
            }
            context.Logger.LogInformation("Wrote {Count} file(s) to {Directory}", files.Count, dir);
        }, requiredBy: WellKnownPipelineSteps.Publish);
    }
}
