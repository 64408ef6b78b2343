using Autopack.AppHost.Hosting;

namespace Autopack.AppHost.Publishing;

/// <summary>A service of the deployment: a project of this repository with an HTTP endpoint.</summary>
public sealed record DeployedService(string Name, string ProjectDirectory, IReadOnlyList<string> References, IReadOnlyList<string> WaitsFor, bool UsesQdrant, int Replicas);

/// <summary>
/// What the Compose and Kubernetes generators need, read from Aspire's published model: the database and vector
/// containers (name and image), the services with their references and waits, and the front door's build context.
/// The migration project (no endpoint, waited on for completion) becomes the generators' own one-shot job.
/// </summary>
public sealed record DeploymentModel(string Postgres, string PostgresImage, string Qdrant, string QdrantImage, IReadOnlyList<DeployedService> Services, string Web, string WebDirectory)
{
    public static DeploymentModel From(DistributedApplicationModel model, string repositoryRoot)
    {
        var postgres = model.Resources.OfType<PostgresServerResource>().Single();
        var qdrant = model.Resources.OfType<QdrantResource>().Single();
        var services = model.Resources.OfType<ProjectResource>()
            .Where(p => p.TryGetEndpoints(out var endpoints) && endpoints.Any())
            .Select(p => new DeployedService(
                p.Name,
                Path.GetRelativePath(repositoryRoot, Path.GetDirectoryName(p.GetProjectMetadata().ProjectPath)!),
                References(p).OfType<ProjectResource>().Select(r => r.Name).ToList(),
                p.Annotations.OfType<WaitAnnotation>().Where(w => w.Resource is ProjectResource && w.WaitType == WaitType.WaitUntilHealthy).Select(w => w.Resource.Name).ToList(),
                References(p).Contains(qdrant),
                p.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1))
            .ToList();
        var web = model.Resources.Single(r => r.TryGetLastAnnotation<DockerfileBuildAnnotation>(out _));
        var context = web.Annotations.OfType<DockerfileBuildAnnotation>().Last().ContextPath;
        return new(postgres.Name, Image(postgres), qdrant.Name, Image(qdrant), services, web.Name, Path.GetRelativePath(repositoryRoot, context));
    }

    private static IEnumerable<IResource> References(IResource resource) =>
        resource.Annotations.OfType<ResourceRelationshipAnnotation>().Where(r => r.Type == "Reference").Select(r => r.Resource);

    private static string Image(ContainerResource container)
    {
        var image = container.Annotations.OfType<ContainerImageAnnotation>().Last();
        return $"{image.Registry}/{image.Image}:{image.Tag}";
    }
}
