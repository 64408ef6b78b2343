namespace Autopack.Executor.Memory;

/// <summary>Memory in Qdrant: one collection (created on first use with the embedder's dimension), cosine distance.</summary>
public sealed class QdrantMemoryStore(QdrantRestClient client, string collection) : IMemoryStore
{
    public string Backend => "qdrant";

    public async Task StoreAsync(string kind, string text, string? runId, string? phaseId, ReadOnlyMemory<float> vector, CancellationToken ct)
    {
        var v = vector.ToArray();
        await client.EnsureCollectionAsync(collection, v.Length, ct);
        await client.UpsertAsync(collection, [new QdrantRestClient.Point(Guid.NewGuid().ToString(), v, new Dictionary<string, object?>
        {
            ["kind"] = kind, ["text"] = text, ["run_id"] = runId, ["phase_id"] = phaseId, ["created_at"] = DateTime.UtcNow,
        })], ct);
    }

    public async Task<IReadOnlyList<MemoryHit>> SearchAsync(ReadOnlyMemory<float> vector, int limit, CancellationToken ct)
    {
        var v = vector.ToArray();
        await client.EnsureCollectionAsync(collection, v.Length, ct);
        var points = await client.SearchAsync(collection, v, limit, ct);
        return points.Select(p => new MemoryHit(
            p.Payload["kind"]?.ToString() ?? "unknown", p.Payload["text"]?.ToString() ?? "", p.Score,
            p.Payload["run_id"]?.ToString(), p.Payload["phase_id"]?.ToString())).ToList();
    }
}
