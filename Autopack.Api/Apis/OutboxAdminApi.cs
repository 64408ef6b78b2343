using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Outbox;

namespace Autopack.Api.Apis;

/// <summary>Outbox statistics and the dead-letter queue (admins only).</summary>
public static class OutboxAdminApi
{
    public static RouteGroupBuilder MapOutboxAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("Outbox").RequireAuthorization(AuthPolicies.Admin);
        admin.MapGet("/outbox/stats", async (AutopackDbContext db, CancellationToken ct) =>
        {
            var s = await DeadLetterAdmin.StatsAsync(db, ct);
            return Results.Ok(new { by_status = s.ByStatus, oldest_pending_age_seconds = s.OldestPendingAgeSeconds, stuck = s.Stuck });
        });
        admin.MapGet("/dlq", async (AutopackDbContext db, CancellationToken ct) => Results.Ok(new
        {
            items = (await DeadLetterAdmin.ListAsync(db, ct: ct)).Select(d => new
            {
                id = d.Id, message_id = d.MessageId, type = d.Type, destination = d.Destination, attempts = d.Attempts,
                last_error = d.LastError, dead_at = d.DeadAt, replayed_at = d.ReplayedAt,
            }),
        }));
        admin.MapGet("/dlq/stats", async (AutopackDbContext db, CancellationToken ct) =>
        {
            var (total, waiting, replayed) = await DeadLetterAdmin.DeadLetterStatsAsync(db, ct);
            return Results.Ok(new { total, waiting, replayed });
        });
        admin.MapPost("/dlq/{id:long}/retry", async (long id, AutopackDbContext db, CancellationToken ct) =>
            await DeadLetterAdmin.RetryAsync(db, id, ct) ? Results.Ok(new { retried = 1 }) : ApiProblem.NotFound($"Dead letter {id} (not yet replayed)"));
        admin.MapPost("/dlq/retry-all", async (AutopackDbContext db, CancellationToken ct) => Results.Ok(new { retried = await DeadLetterAdmin.RetryAllAsync(db, ct) }));
        admin.MapDelete("/dlq", async (bool? confirm, AutopackDbContext db, CancellationToken ct) => confirm == true
            ? Results.Ok(new { purged = await DeadLetterAdmin.PurgeAsync(db, ct) })
            : ApiProblem.Validation(400, new Dictionary<string, string[]> { ["confirm"] = ["purging deletes every dead letter for good: repeat with ?confirm=true"] }));
        return admin;
    }
}
