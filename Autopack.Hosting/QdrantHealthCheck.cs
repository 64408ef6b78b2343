using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Qdrant.Client;

namespace Autopack.Hosting;

/// <summary>
/// Qdrant's own gRPC health call. Qdrant answers it without checking the API key, so it proves the server is up,
/// not that the key is right (a wrong key shows up as failing memory calls in the executor's log).
/// </summary>
public sealed class QdrantHealthCheck(QdrantClient client) : IHealthCheck
{
    public const string Name = "Qdrant.Client";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var reply = await client.HealthAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{reply.Title} {reply.Version}");
        }
        catch (RpcException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{ex.StatusCode}: {ex.Status.Detail}", ex);
        }
    }
}
