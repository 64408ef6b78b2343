using Microsoft.Extensions.Configuration;

namespace Autopack.AppHost.Hosting;

/// <summary><c>AddQdrant</c>: the container, pinned, with the API key and a data volume.</summary>
public static class QdrantBuilderExtensions
{
    public const string Image = "qdrant/qdrant";
    public const string Tag = "v1.12.6";

    public static IResourceBuilder<QdrantResource> AddQdrant(this IDistributedApplicationBuilder builder, string name)
    {
        var apiKey = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-Key", special: false);
        var qdrant = new QdrantResource(name, apiKey);
        return builder.AddResource(qdrant)
            .WithImage(Image, Tag)
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(targetPort: 6334, name: QdrantResource.GrpcEndpointName)
            .WithEndpoint(QdrantResource.GrpcEndpointName, e => e.Transport = "http2")
            .WithHttpEndpoint(targetPort: 6333, name: QdrantResource.HttpEndpointName)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["QDRANT__SERVICE__API_KEY"] = qdrant.ApiKeyParameter;
                // No web UI in a deployment.
                if (builder.ExecutionContext.IsPublishMode) context.EnvironmentVariables["QDRANT__SERVICE__ENABLE_STATIC_CONTENT"] = "0";
            })
            .WithVolume("autopack-qdrant-data", "/qdrant/storage")
            .WithHttpHealthCheck("/readyz", endpointName: QdrantResource.HttpEndpointName);
    }

    /// <summary>
    /// Vector memory for the services: published, always the container; in a local run a configured
    /// <c>ConnectionStrings:{name}</c>, else the container when an engine answers, else none (the embedded index).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddQdrantWhereAvailable(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.ExecutionContext.IsRunMode && !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
            return builder.AddConnectionString(name);
        return builder.ExecutionContext.IsPublishMode || ContainerRuntime.IsAvailable(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"])
            ? builder.AddQdrant(name)
            : null;
    }

    /// <summary><c>ConnectionStrings__qdrant</c> (the gRPC endpoint and key) when there is a Qdrant; nothing otherwise.</summary>
    public static IResourceBuilder<T> WithQdrant<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString>? qdrant)
        where T : IResourceWithEnvironment => qdrant is null ? builder : builder.WithReference(qdrant);
}
