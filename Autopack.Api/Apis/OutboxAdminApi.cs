using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autopack.Api.Apis;

public sealed record OutboxStatsDto(IReadOnlyDictionary<string, int> ByStatus, double? OldestPendingAgeSeconds, int Stuck);

public sealed record DeadLetterDto(long Id, Guid MessageId, string Type, string Destination, int Attempts, string? LastError, DateTime DeadAt, DateTime? ReplayedAt);

public sealed record DeadLetterList(IReadOnlyList<DeadLetterDto> Items);

public sealed record DeadLetterStatsDto(int Total, int Waiting, int Replayed);

public sealed record RetriedDto(int Retried);

public sealed record PurgedDto(int Purged);

/// <summary>Outbox statistics and the dead-letter queue (admins only).</summary>
public static class OutboxAdminApi
{
    public static RouteGroupBuilder MapOutboxAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("Outbox").RequireAuthorization(AuthPolicies.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/outbox/stats", async (AutopackDbContext db, CancellationToken ct) =>
        {
            var s = await DeadLetterAdmin.StatsAsync(db, ct);
            return TypedResults.Ok(new OutboxStatsDto(s.ByStatus, s.OldestPendingAgeSeconds, s.Stuck));
        });
        admin.MapGet("/dlq", async (AutopackDbContext db, CancellationToken ct) => TypedResults.Ok(new DeadLetterList(
            (await DeadLetterAdmin.ListAsync(db, ct: ct))
                .Select(d => new DeadLetterDto(d.Id, d.MessageId, d.Type, d.Destination, d.Attempts, d.LastError, d.DeadAt, d.ReplayedAt)).ToList())));
        admin.MapGet("/dlq/stats", async (AutopackDbContext db, CancellationToken ct) =>
        {
            var (total, waiting, replayed) = await DeadLetterAdmin.DeadLetterStatsAsync(db, ct);
            return TypedResults.Ok(new DeadLetterStatsDto(total, waiting, replayed));
        });
        admin.MapPost("/dlq/{id:long}/retry", Retry).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/dlq/retry-all", async (AutopackDbContext db, CancellationToken ct) => TypedResults.Ok(new RetriedDto(await DeadLetterAdmin.RetryAllAsync(db, ct))));
        admin.MapDelete("/dlq", Purge).ProducesValidationProblem(StatusCodes.Status400BadRequest);
        return admin;
    }

    private static async Task<Results<Ok<RetriedDto>, ProblemHttpResult>> Retry(long id, AutopackDbContext db, CancellationToken ct) =>
        await DeadLetterAdmin.RetryAsync(db, id, ct) ? TypedResults.Ok(new RetriedDto(1)) : ApiProblem.NotFound($"Dead letter {id} (not yet replayed)");

    private static async Task<Results<Ok<PurgedDto>, ProblemHttpResult>> Purge(bool? confirm, AutopackDbContext db, CancellationToken ct) => confirm == true
        ? TypedResults.Ok(new PurgedDto(await DeadLetterAdmin.PurgeAsync(db, ct)))
        : ApiProblem.Validation(400, new Dictionary<string, string[]> { ["confirm"] = ["purging deletes every dead letter for good: repeat with ?confirm=true"] });
}
