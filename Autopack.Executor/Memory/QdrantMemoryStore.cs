using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace Autopack.Executor.Memory;

/// <summary>
/// Memory in Qdrant through the official client (gRPC): one collection, created on first use with the embedder's
/// dimension and cosine distance; points carry kind, text, run_id, phase_id and created_at as payload, and a recall
/// narrowed by <see cref="MemoryFilter"/> becomes a keyword filter on those fields.
/// </summary>
public sealed class QdrantMemoryStore(QdrantClient client, string collection, TimeProvider time) : IMemoryStore
{
    private volatile bool _collectionReady;

    public string Backend => "qdrant";

    public async Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct)
    {
        await EnsureCollectionAsync(vector.Length, ct);
        var point = new PointStruct
        {
            Id = Guid.NewGuid(),
            Vectors = vector.ToArray(),
            Payload = { ["kind"] = kind, ["text"] = text, ["created_at"] = time.GetUtcNow().UtcDateTime.ToString("O") },
        };
        // Qdrant has no null for a keyword field worth filtering on; absent means "not tied to a run".
        if (runId is not null) point.Payload["run_id"] = runId;
        if (phaseId is not null) point.Payload["phase_id"] = phaseId;
        var result = await client.UpsertAsync(collection, [point], wait: true, cancellationToken: ct);
        if (result.Status is not (UpdateStatus.Completed or UpdateStatus.Acknowledged))
            throw new QdrantException($"Qdrant did not apply the upsert to '{collection}': {result.Status}");
    }

    public async Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, MemoryFilter? filter, CancellationToken ct)
    {
        await EnsureCollectionAsync(vector.Length, ct);
        var points = await client.QueryAsync(collection, query: vector.ToArray(), filter: ToQdrant(filter), limit: (ulong)limit,
            payloadSelector: true, cancellationToken: ct);
        return points.Select(p => new MemoryHit(Text(p, "kind") ?? "unknown", Text(p, "text") ?? "", p.Score, Text(p, "run_id"), Text(p, "phase_id"))).ToList();
    }

    private async Task EnsureCollectionAsync(int size, CancellationToken ct)
    {
        if (_collectionReady) return;
        if (!await client.CollectionExistsAsync(collection, ct))
        {
            try
            {
                await client.CreateCollectionAsync(collection, new VectorParams { Size = (ulong)size, Distance = Distance.Cosine }, cancellationToken: ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists) { } // another executor created it meanwhile
        }
        _collectionReady = true;
    }

    private static Filter? ToQdrant(MemoryFilter? filter)
    {
        if (filter is null || (filter.RunId is null && filter.Kind is null)) return null;
        var must = new Filter();
        if (filter.RunId is not null) must.Must.Add(Conditions.MatchKeyword("run_id", filter.RunId));
        if (filter.Kind is not null) must.Must.Add(Conditions.MatchKeyword("kind", filter.Kind));
        return must;
    }

    private static string? Text(ScoredPoint point, string key) =>
        point.Payload.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : null;
}
