using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autopack.Executor.Memory;

/// <summary>
/// The few Qdrant REST calls Autopack needs (there is no Qdrant client package here): collection exists /
/// create on first use, upsert with <c>wait=true</c>, search. Every response is Qdrant's
/// <c>{ "result", "status", "time" }</c> envelope; errors carry <c>{ "status": { "error" } }</c>.
/// </summary>
public sealed class QdrantRestClient(HttpClient http, string? apiKey)
{
    private readonly ConcurrentDictionary<string, bool> _ready = new();

    public sealed record Point(string Id, float[] Vector, IReadOnlyDictionary<string, object?> Payload);
    public sealed record ScoredPoint(string Id, double Score, JsonObject Payload);

    public async Task EnsureCollectionAsync(string name, int size, CancellationToken ct)
    {
        if (_ready.ContainsKey(name)) return;
        var exists = await SendAsync(HttpMethod.Get, $"collections/{name}/exists", null, ct);
        if (exists?["exists"]?.GetValue<bool>() != true)
        {
            var body = new JsonObject { ["vectors"] = new JsonObject { ["size"] = size, ["distance"] = "Cosine" } };
            try { await SendAsync(HttpMethod.Put, $"collections/{name}", body, ct); }
            catch (QdrantException ex) when (ex.Status == HttpStatusCode.Conflict) { } // created by another executor meanwhile
        }
        _ready[name] = true;
    }

    public async Task UpsertAsync(string collection, IEnumerable<Point> points, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["points"] = new JsonArray(points.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["vector"] = new JsonArray(p.Vector.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
                ["payload"] = JsonSerializer.SerializeToNode(p.Payload),
            }).ToArray()),
        };
        var result = await SendAsync(HttpMethod.Put, $"collections/{collection}/points?wait=true", body, ct);
        var status = result?["status"]?.GetValue<string>();
        if (status is not ("completed" or "acknowledged")) throw new QdrantException(HttpStatusCode.OK, $"Upsert not completed: {result?.ToJsonString()}");
    }

    public async Task<IReadOnlyList<ScoredPoint>> SearchAsync(string collection, float[] vector, int limit, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["vector"] = new JsonArray(vector.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
            ["limit"] = limit,
            ["with_payload"] = true,
        };
        var result = await SendAsync(HttpMethod.Post, $"collections/{collection}/points/search", body, ct);
        return (result as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(p => new ScoredPoint(p["id"]!.ToString(), p["score"]!.GetValue<double>(), p["payload"] as JsonObject ?? []))
            .ToList();
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Add("api-key", apiKey);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? envelope = null;
        try { envelope = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text); } catch (JsonException) { }
        if (!response.IsSuccessStatusCode)
        {
            var error = envelope?["status"]?["error"]?.GetValue<string>() ?? text;
            throw new QdrantException(response.StatusCode, $"Qdrant {method} /{path} → {(int)response.StatusCode}: {error}");
        }
        if (envelope?["status"]?.GetValueKind() == JsonValueKind.String && envelope["status"]!.GetValue<string>() != "ok")
            throw new QdrantException(response.StatusCode, $"Qdrant {method} /{path} returned status {envelope["status"]}");
        return envelope?["result"];
    }
}

public sealed class QdrantException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
