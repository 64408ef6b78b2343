namespace Autopack.AppHost.Hosting;

/// <summary>
/// The Qdrant vector database as a container, as Aspire.Hosting.Qdrant models it (that package is not served here):
/// the gRPC endpoint is primary (the official client speaks gRPC), REST on <c>http</c>, the API key a parameter.
/// </summary>
public sealed class QdrantResource(string name, ParameterResource apiKey) : ContainerResource(name), IResourceWithConnectionString
{
    public const string GrpcEndpointName = "grpc";
    public const string HttpEndpointName = "http";

    public ParameterResource ApiKeyParameter { get; } = apiKey;

    public EndpointReference GrpcEndpoint => new(this, GrpcEndpointName);

    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={GrpcEndpoint.Property(EndpointProperty.Url)};Key={ApiKeyParameter}");

    public ReferenceExpression HttpConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={HttpEndpoint.Property(EndpointProperty.Url)};Key={ApiKeyParameter}");
}
