using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Core.Configuration;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Hosting;
using Autopack.Tests.Infrastructure;
using Autopack.Tests.Infrastructure.QdrantProtocol;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;
using Wire = Autopack.Tests.Infrastructure.QdrantProtocol.Wire;

namespace Autopack.Tests.Executor;

/// <summary>
/// Vector memory in Qdrant through the official Qdrant.Client, wired as the executor wires it (AddServiceDefaults +
/// AddExecutorServices from configuration), against <see cref="QdrantTestServer"/> speaking Qdrant's gRPC protocol.
/// </summary>
[Trait("Category", "Db")]
public sealed class QdrantMemoryStoreTests(ITestOutputHelper output) : IDisposable
{
    private const string Key = "secret-key";
    private readonly HashingEmbedder _embedder = new();

    [Fact]
    public async Task Remember_and_recall_send_the_collection_config_points_with_payload_a_run_and_kind_filter_and_the_api_key()
    {
        await using var qdrant = await QdrantTestServer.StartAsync(Key);
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var host = Executor(db, $"Endpoint={qdrant.Endpoint};Key={Key}");
        var memory = host.Services.GetRequiredService<PhaseMemory>();
        Assert.Equal("qdrant", memory.Backend);

        await memory.RememberAsync("error", "CI_FAILED: expected 'Hello, Autopack' in greet.sh", "run-1", "P1", default);
        await memory.RememberAsync("error", "CI_FAILED: expected 'Hello, Autopack' in greet.sh", "run-2", "P1", default);
        await memory.RememberAsync("summary", "Phase 'P1' completed: greet.sh prints Hello, Autopack", "run-1", "P1", default);
        var hits = await memory.RecallAsync("greet.sh expected Hello Autopack", 5, new MemoryFilter(RunId: "run-1", Kind: "error"), default);

        var calls = qdrant.Calls;
        foreach (var call in calls) output.WriteLine(call.ToString());
        Assert.Equal(["/qdrant.Collections/CollectionExists", "/qdrant.Collections/Create", "/qdrant.Points/Upsert", "/qdrant.Points/Upsert",
            "/qdrant.Points/Upsert", "/qdrant.Points/Query"], calls.Select(c => c.Method));
        Assert.All(calls, c => Assert.Equal(Key, c.ApiKey));

        var create = calls[1].As<Wire.CreateCollection>();
        Assert.Equal(("autopack_memory", 384ul, Wire.Distance.Cosine), (create.CollectionName, create.VectorsConfig.Params.Size, create.VectorsConfig.Params.Distance));

        var upsert = calls[2].As<Wire.UpsertPoints>();
        Assert.True(upsert.Wait);
        var point = Assert.Single(upsert.Points);
        Assert.True(Guid.TryParse(point.Id.Uuid, out _));
        Assert.Equal(_embedder.Embed("CI_FAILED: expected 'Hello, Autopack' in greet.sh"), point.Vectors.Vector.Dense.Data.ToArray());
        Assert.Equal(["created_at", "kind", "phase_id", "run_id", "text"], point.Payload.Keys.Order());
        Assert.Equal(("error", "run-1", "P1"), (point.Payload["kind"].StringValue, point.Payload["run_id"].StringValue, point.Payload["phase_id"].StringValue));
        Assert.True(DateTime.TryParse(point.Payload["created_at"].StringValue, out _));

        var query = calls[5].As<Wire.QueryPoints>();
        Assert.Equal((5ul, true, 384), (query.Limit, query.WithPayload.Enable, query.Query.Nearest.Dense.Data.Count));
        Assert.Equal([("run_id", "run-1"), ("kind", "error")], query.Filter.Must.Select(c => (c.Field.Key, c.Field.Match.Keyword)));

        var hit = Assert.Single(hits);
        Assert.Equal(("error", "CI_FAILED: expected 'Hello, Autopack' in greet.sh", "run-1", "P1"), (hit.Kind, hit.Text, hit.RunId, hit.PhaseId));
        Assert.InRange(hit.Score, 0.5, 1.0);
    }

    [Fact]
    public async Task A_collection_created_meanwhile_by_another_executor_is_used_not_an_error()
    {
        await using var qdrant = await QdrantTestServer.StartAsync();
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var first = Executor(db, qdrant.Endpoint.ToString());
        using var second = Executor(db, qdrant.Endpoint.ToString());
        var a = (QdrantMemoryStore)StoreOf(first);
        var b = (QdrantMemoryStore)StoreOf(second);

        // Both ask "exists?" before either creates: the second create meets AlreadyExists.
        qdrant.ResponseDelay = TimeSpan.FromMilliseconds(200);
        await Task.WhenAll(a.StoreAsync("error", "one", "r", "P", _embedder.Embed("one"), default), b.StoreAsync("error", "two", "r", "P", _embedder.Embed("two"), default));

        Assert.Equal(2, qdrant.Calls.Count(c => c.Method == "/qdrant.Collections/Create"));
        Assert.Equal(2, qdrant.Storage.Get("autopack_memory").Points.Count);
        Assert.All(qdrant.Calls, c => Assert.Null(c.ApiKey));
    }

    [Fact]
    public async Task A_wrong_key_a_failing_server_and_a_slow_one_surface_as_grpc_errors_and_phase_memory_carries_on()
    {
        await using var qdrant = await QdrantTestServer.StartAsync(Key);
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var vector = _embedder.Embed("CI_FAILED");

        using (var wrongKey = Executor(db, $"Endpoint={qdrant.Endpoint};Key=not-the-key"))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => StoreOf(wrongKey).StoreAsync("error", "x", "r", "P", vector, default));
            Assert.Equal((StatusCode.Unauthenticated, "Invalid API key or JWT"), (ex.StatusCode, ex.Status.Detail));
            Assert.Empty(await wrongKey.Services.GetRequiredService<PhaseMemory>().RecallAsync("CI_FAILED", 5, default));
        }

        using var executor = Executor(db, $"Endpoint={qdrant.Endpoint};Key={Key}", timeoutMs: 300);
        var store = StoreOf(executor);
        await store.StoreAsync("error", "CI_FAILED", "r", "P", vector, default);
        var wrongSize = await Assert.ThrowsAsync<RpcException>(() => store.SearchAsync(new float[3] { 1, 0, 0 }, 5, null, default));
        Assert.Equal(StatusCode.InvalidArgument, wrongSize.StatusCode);
        Assert.Contains("expected dim: 384, got 3", wrongSize.Status.Detail);

        qdrant.FailWith = StatusCode.Unavailable;
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => store.SearchAsync(vector, 5, null, default))).StatusCode);

        // AUTOPACK_QDRANT_TIMEOUT_MS is the deadline of every call: a server that takes 5 s is given up on after 0.3 s.
        qdrant.FailWith = null;
        qdrant.ResponseDelay = TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        Assert.Equal(StatusCode.DeadlineExceeded, (await Assert.ThrowsAsync<RpcException>(() => store.SearchAsync(vector, 5, null, default))).StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4));
        clock.Restart();
        Assert.Empty(await executor.Services.GetRequiredService<PhaseMemory>().RecallAsync("CI_FAILED", 5, default));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), "a slow Qdrant must not hold the phase beyond the deadline");
    }

    [Fact]
    public async Task Health_asks_qdrant_over_grpc_and_reports_connected_then_unreachable_when_it_is_gone()
    {
        var qdrant = await QdrantTestServer.StartAsync(Key);
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["ConnectionStrings:qdrant"] = $"Endpoint={qdrant.Endpoint};Key={Key}" });
        var client = api.Anonymous();

        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal(("connected", "healthy"), (health.GetProperty("qdrant").GetString(), health.GetProperty("status").GetString()));
        var probe = Assert.Single(qdrant.Calls);
        Assert.Equal(("/qdrant.Qdrant/HealthCheck", Key), (probe.Method, probe.ApiKey));

        qdrant.FailWith = StatusCode.Unavailable;
        health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal(("unreachable", "degraded"), (health.GetProperty("qdrant").GetString(), health.GetProperty("status").GetString()));

        await qdrant.DisposeAsync();
        var response = await client.GetAsync("/health");
        health = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode); // the database is up: degraded, not down
        Assert.Equal("unreachable", health.GetProperty("qdrant").GetString());
    }

    [Theory]
    [InlineData("Endpoint=http://qdrant:6334;Key=k1", null, null, "http://qdrant:6334/", "k1")]
    [InlineData("Endpoint=\"http://qdrant:6334\";Key=\"a;b\"", null, "file-key", "http://qdrant:6334/", "a;b")]
    [InlineData("http://qdrant:6334", null, "file-key", "http://qdrant:6334/", "file-key")]
    [InlineData(null, "http://10.0.0.5:6334", "file-key", "http://10.0.0.5:6334/", "file-key")]
    [InlineData(null, "https://cloud.qdrant.io:6334", "", "https://cloud.qdrant.io:6334/", null)]
    public void The_connection_comes_from_aspire_s_connection_string_or_qdrant_url(string? connectionString, string? url, string? apiKey, string endpoint, string? key)
    {
        var connection = QdrantConnection.Resolve(connectionString, url, apiKey)!;
        Assert.Equal((endpoint, key), (connection.Endpoint.ToString(), connection.ApiKey));
    }

    [Fact]
    public void No_qdrant_means_the_embedded_index_and_a_malformed_connection_string_says_what_it_expects()
    {
        Assert.Null(QdrantConnection.Resolve(null, null, "key"));
        var ex = Assert.Throws<FormatException>(() => QdrantConnection.Resolve("Key=only", null, null));
        Assert.Contains("Endpoint=http://host:6334", ex.Message);
    }

    public void Dispose() => _embedder.Dispose();

    private static IHost Executor(TestDatabase db, string qdrantConnection, int? timeoutMs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.Url,
            ["AUTOPACK_STATE_DIR"] = db.StateRoot,
            ["ConnectionStrings:qdrant"] = qdrantConnection,
            ["QDRANT_URL"] = null,
            [QdrantClientExtensions.TimeoutVariable] = timeoutMs?.ToString(),
        });
        builder.AddServiceDefaults();
        builder.AddExecutorServices(builder.AddAutopackPlatform("executor"));
        return builder.Build();
    }

    private static IMemoryStore StoreOf(IHost host)
    {
        var settings = host.Services.GetRequiredService<AutopackSettings>();
        var options = host.Services.GetRequiredService<ExecutorOptions>();
        Assert.NotNull(settings.Qdrant);
        return new QdrantMemoryStore(host.Services.GetRequiredService<Qdrant.Client.QdrantClient>(), options.QdrantCollection, TimeProvider.System);
    }
}
