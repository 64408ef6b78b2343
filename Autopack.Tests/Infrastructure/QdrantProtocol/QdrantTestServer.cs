using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Infrastructure.QdrantProtocol;

/// <summary>
/// A protocol double of Qdrant's gRPC API for the calls Autopack makes, since no Qdrant server can run here: real
/// HTTP/2 on loopback, Qdrant's wire messages (<c>qdrant_subset.proto</c>), its api-key rule (every call except
/// HealthCheck needs the key when one is set: Unauthenticated otherwise), its status codes for a missing collection,
/// a duplicate create and a wrong vector size, and cosine ranking with keyword filters. Every call is logged with its
/// api-key header and request. <see cref="ResponseDelay"/> and <see cref="FailWith"/> make it slow or failing.
/// </summary>
public sealed class QdrantTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<QdrantCall> _calls;

    private QdrantTestServer(WebApplication app, ConcurrentQueue<QdrantCall> calls, Uri endpoint)
    {
        _app = app;
        _calls = calls;
        Endpoint = endpoint;
    }

    /// <summary>The gRPC endpoint, as Aspire's <c>{qdrant.bindings.grpc.url}</c> would give it.</summary>
    public Uri Endpoint { get; }
    public IReadOnlyList<QdrantCall> Calls => _calls.ToList();
    public QdrantTestStorage Storage => _app.Services.GetRequiredService<QdrantTestStorage>();
    /// <summary>Every call waits this long before it is answered (or its deadline passes).</summary>
    public TimeSpan ResponseDelay { get; set; }
    /// <summary>When set, every call fails with this status, as a Qdrant that is overloaded or shutting down does.</summary>
    public StatusCode? FailWith { get; set; }

    public static async Task<QdrantTestServer> StartAsync(string? apiKey = null)
    {
        var calls = new ConcurrentQueue<QdrantCall>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton<QdrantTestStorage>();
        QdrantTestServer? server = null;
        builder.Services.AddSingleton(_ => new ProtocolInterceptor(apiKey, calls, () => server!));
        builder.Services.AddGrpc(o => o.Interceptors.Add<ProtocolInterceptor>());
        var app = builder.Build();
        app.MapGrpcService<HealthService>();
        app.MapGrpcService<CollectionsService>();
        app.MapGrpcService<PointsService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new QdrantTestServer(app, calls, new Uri(address));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Records, then applies delay, failure and Qdrant's api-key check before the service sees the call.</summary>
    private sealed class ProtocolInterceptor(string? apiKey, ConcurrentQueue<QdrantCall> calls, Func<QdrantTestServer> server) : Interceptor
    {
        public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
            UnaryServerMethod<TRequest, TResponse> continuation)
        {
            var sentKey = context.RequestHeaders.GetValue("api-key");
            calls.Enqueue(new QdrantCall(context.Method, sentKey, (IMessage)request));
            var self = server();
            if (self.ResponseDelay > TimeSpan.Zero) await Task.Delay(self.ResponseDelay, context.CancellationToken);
            if (self.FailWith is { } status) throw new RpcException(new Status(status, "Service is unavailable (test server told to fail)"));
            // Qdrant lets its health call through without a key (src/tonic/auth.rs).
            if (apiKey is not null && context.Method != "/qdrant.Qdrant/HealthCheck")
            {
                if (sentKey is null) throw new RpcException(new Status(StatusCode.Unauthenticated, "Must provide an API key or an Authorization bearer token"));
                if (sentKey != apiKey) throw new RpcException(new Status(StatusCode.Unauthenticated, "Invalid API key or JWT"));
            }
            return await continuation(request, context);
        }
    }
}

/// <summary>One call as the server received it: the gRPC method path, the api-key header and the decoded request.</summary>
public sealed record QdrantCall(string Method, string? ApiKey, IMessage Request)
{
    public T As<T>() where T : IMessage => (T)Request;

    public override string ToString() => $"{Method} api-key={ApiKey ?? "(none)"} {JsonFormatter.Default.Format(Request)}";
}
