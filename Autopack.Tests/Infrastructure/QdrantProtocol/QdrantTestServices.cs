using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Autopack.Tests.Infrastructure.QdrantProtocol.Wire;
using Grpc.Core;

namespace Autopack.Tests.Infrastructure.QdrantProtocol;

/// <summary>The collections and points the test server holds, as Qdrant would for one node.</summary>
public sealed class QdrantTestStorage
{
    public ConcurrentDictionary<string, CollectionStore> Collections { get; } = new();

    public CollectionStore Get(string name) => Collections.TryGetValue(name, out var c) ? c
        : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!"));
}

public sealed class CollectionStore(VectorParams vectors)
{
    public VectorParams Vectors { get; } = vectors;
    public ConcurrentDictionary<string, PointStruct> Points { get; } = new();

    public float[] Check(DenseVector? vector)
    {
        var data = vector?.Data.ToArray() ?? [];
        if ((ulong)data.Length != Vectors.Size)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {Vectors.Size}, got {data.Length}"));
        return data;
    }
}

internal sealed class HealthService : Wire.Qdrant.QdrantBase
{
    public override Task<HealthCheckReply> HealthCheck(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckReply { Title = "qdrant - vector search engine", Version = "1.15.0-test" });
}

internal sealed class CollectionsService(QdrantTestStorage storage) : Wire.Collections.CollectionsBase
{
    public override Task<CollectionExistsResponse> CollectionExists(CollectionExistsRequest request, ServerCallContext context) =>
        Task.FromResult(new CollectionExistsResponse { Result = new() { Exists = storage.Collections.ContainsKey(request.CollectionName) }, Time = 0.00001 });

    public override Task<CollectionOperationResponse> Create(CreateCollection request, ServerCallContext context)
    {
        var vectors = request.VectorsConfig?.Params;
        if (vectors is null || vectors.Size == 0 || vectors.Distance == Distance.UnknownDistance)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Wrong input: vectors config with a size and a distance is required"));
        if (!storage.Collections.TryAdd(request.CollectionName, new CollectionStore(vectors)))
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Wrong input: Collection `{request.CollectionName}` already exists!"));
        return Task.FromResult(new CollectionOperationResponse { Result = true, Time = 0.03 });
    }
}

internal sealed class PointsService(QdrantTestStorage storage) : Wire.Points.PointsBase
{
    public override Task<PointsOperationResponse> Upsert(UpsertPoints request, ServerCallContext context)
    {
        var collection = storage.Get(request.CollectionName);
        foreach (var point in request.Points)
        {
            collection.Check(point.Vectors?.Vector?.Dense);
            collection.Points[point.Id.PointIdOptionsCase == PointId.PointIdOptionsOneofCase.Uuid ? point.Id.Uuid : point.Id.Num.ToString()] = point;
        }
        return Task.FromResult(new PointsOperationResponse
        {
            Result = new UpdateResult { OperationId = (ulong)collection.Points.Count, Status = request.Wait ? UpdateStatus.Completed : UpdateStatus.Acknowledged },
            Time = 0.002,
        });
    }

    public override Task<QueryResponse> Query(QueryPoints request, ServerCallContext context)
    {
        var collection = storage.Get(request.CollectionName);
        var query = collection.Check(request.Query?.Nearest?.Dense);
        var limit = request.HasLimit ? (int)request.Limit : 10;
        var withPayload = request.WithPayload?.Enable ?? false;
        var hits = collection.Points.Values
            .Where(p => Matches(request.Filter, p))
            .Select(p => (Point: p, Score: TensorPrimitives.CosineSimilarity(query, p.Vectors.Vector.Dense.Data.ToArray())))
            .OrderByDescending(x => x.Score).Skip((int)request.Offset).Take(limit)
            .Select(x =>
            {
                var scored = new ScoredPoint { Id = x.Point.Id, Score = x.Score, Version = 1 };
                if (withPayload) scored.Payload.Add(x.Point.Payload);
                return scored;
            });
        var response = new QueryResponse { Time = 0.0006 };
        response.Result.Add(hits);
        return Task.FromResult(response);
    }

    /// <summary>Keyword matches: every <c>must</c>, no <c>must_not</c>, at least one <c>should</c> when there are any.</summary>
    private static bool Matches(Filter? filter, PointStruct point)
    {
        if (filter is null) return true;
        bool Holds(Condition c)
        {
            if (c.Field is not { Match.MatchValueCase: Match.MatchValueOneofCase.Keyword } field)
                throw new RpcException(new Status(StatusCode.Unimplemented, $"test server: only keyword conditions are implemented, got {c}"));
            return point.Payload.TryGetValue(field.Key, out var v) && v.KindCase == Value.KindOneofCase.StringValue && v.StringValue == field.Match.Keyword;
        }
        return filter.Must.All(Holds) && !filter.MustNot.Any(Holds) && (filter.Should.Count == 0 || filter.Should.Any(Holds));
    }
}
