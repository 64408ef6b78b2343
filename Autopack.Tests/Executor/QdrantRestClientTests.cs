using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Autopack.Executor.Memory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Executor;

/// <summary>
/// The Qdrant REST client against a loopback server that checks each request's exact shape and answers with
/// bodies copied from Qdrant's documented responses (the <c>{ result, status, time }</c> envelope).
/// </summary>
public class QdrantRestClientTests
{
    private sealed record Seen(string Method, string Path, string? ApiKey, JsonNode? Body);

    [Fact]
    public async Task Creates_the_collection_on_first_use_upserts_with_wait_and_searches_with_the_api_key()
    {
        var seen = new ConcurrentQueue<Seen>();
        var collections = new HashSet<string>();
        await using var server = await StartAsync(seen, async ctx =>
        {
            var path = ctx.Request.Path.Value!;
            if (ctx.Request.Method == "GET" && path == "/collections/autopack_memory/exists")
                return (200, $$"""{"result":{"exists":{{(collections.Contains("autopack_memory") ? "true" : "false")}}},"status":"ok","time":0.000005231}""");
            if (ctx.Request.Method == "PUT" && path == "/collections/autopack_memory")
            {
                collections.Add("autopack_memory");
                return (200, """{"result":true,"status":"ok","time":0.031095451}""");
            }
            if (ctx.Request.Method == "PUT" && path == "/collections/autopack_memory/points" && ctx.Request.QueryString.Value == "?wait=true")
                return (200, """{"result":{"operation_id":0,"status":"completed"},"status":"ok","time":0.001898}""");
            if (ctx.Request.Method == "POST" && path == "/collections/autopack_memory/points/search")
                return (200, """
                    {"result":[
                      {"id":"5c56c793-69f3-4fbf-87e6-c4bf54c28c26","version":1,"score":0.871,"payload":{"kind":"error","text":"CI_FAILED: expected 'Hello, Autopack'","run_id":"r1","phase_id":"P1"},"vector":null},
                      {"id":"a1b2c3d4-0000-4000-8000-000000000001","version":2,"score":0.35,"payload":{"kind":"summary","text":"Phase done","run_id":"r0","phase_id":"P9"},"vector":null}
                    ],"status":"ok","time":0.000611}
                    """);
            await Task.CompletedTask;
            return (404, """{"status":{"error":"Not found: unexpected request"},"time":0.0}""");
        });
        var store = new QdrantMemoryStore(new QdrantRestClient(new HttpClient { BaseAddress = new Uri(server.Url) }, "secret-key"), "autopack_memory");
        var embedder = new HashingEmbedder();

        await store.StoreAsync("error", "CI_FAILED: expected 'Hello, Autopack'", "r1", "P1", embedder.Embed("CI_FAILED expected Hello"), default);
        await store.StoreAsync("fix", "second", "r1", "P1", embedder.Embed("second"), default);
        var hits = await store.SearchAsync(embedder.Embed("expected Hello"), 5, default);

        var requests = seen.ToList();
        Assert.Equal(["GET /collections/autopack_memory/exists", "PUT /collections/autopack_memory", "PUT /collections/autopack_memory/points",
            "PUT /collections/autopack_memory/points", "POST /collections/autopack_memory/points/search"], requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(requests, r => Assert.Equal("secret-key", r.ApiKey));
        Assert.Equal("""{"vectors":{"size":384,"distance":"Cosine"}}""", requests[1].Body!.ToJsonString());
        var point = requests[2].Body!["points"]!.AsArray().Single()!;
        Assert.True(Guid.TryParse(point["id"]!.GetValue<string>(), out _));
        Assert.Equal(384, point["vector"]!.AsArray().Count);
        Assert.Equal(("error", "r1", "P1"), (point["payload"]!["kind"]!.GetValue<string>(), point["payload"]!["run_id"]!.GetValue<string>(), point["payload"]!["phase_id"]!.GetValue<string>()));
        var search = requests[4].Body!;
        Assert.Equal((5, true, 384), (search["limit"]!.GetValue<int>(), search["with_payload"]!.GetValue<bool>(), search["vector"]!.AsArray().Count));

        Assert.Equal(2, hits.Count);
        Assert.Equal(("error", "CI_FAILED: expected 'Hello, Autopack'", 0.871, "r1", "P1"), (hits[0].Kind, hits[0].Text, hits[0].Score, hits[0].RunId, hits[0].PhaseId));
    }

    [Fact]
    public async Task Qdrant_errors_surface_with_the_message_from_its_error_envelope()
    {
        await using var server = await StartAsync(new(), _ => Task.FromResult((404,
            """{"status":{"error":"Not found: Collection `missing` doesn't exist!"},"time":0.000014}""")));
        var client = new QdrantRestClient(new HttpClient { BaseAddress = new Uri(server.Url) }, null);
        var ex = await Assert.ThrowsAsync<QdrantException>(() => client.SearchAsync("missing", [1f, 0f], 3, default));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, ex.Status);
        Assert.Contains("Collection `missing` doesn't exist!", ex.Message);
    }

    private sealed class Server(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;
        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private static async Task<Server> StartAsync(ConcurrentQueue<Seen> seen, Func<HttpContext, Task<(int, string)>> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async ctx =>
        {
            JsonNode? body = null;
            if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.ContentType.Count > 0)
            {
                Assert.StartsWith("application/json", ctx.Request.ContentType);
                body = await JsonNode.ParseAsync(ctx.Request.Body);
            }
            seen.Enqueue(new Seen(ctx.Request.Method, ctx.Request.Path.Value!, ctx.Request.Headers["api-key"].FirstOrDefault(), body));
            var (status, json) = await respond(ctx);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(json);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Server(app, url.TrimEnd('/') + "/");
    }
}
