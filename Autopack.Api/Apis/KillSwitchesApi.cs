using System.Security.Claims;
using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

public sealed record KillSwitchUpdate(bool? Enabled, string? Reason);

public sealed record KillSwitchDto(string Name, bool Enabled, string? Reason, string? UpdatedBy, DateTime? UpdatedAt);

public sealed record KillSwitchList(IReadOnlyList<KillSwitchDto> Items);

public static class KillSwitchesApi
{
    public static RouteGroupBuilder MapKillSwitchesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/kill-switches").WithTags("Kill switches")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", List);
        group.MapPut("/{name}", Set).RequireAuthorization(AuthPolicies.Admin).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return group;
    }

    private static async Task<Ok<KillSwitchList>> List(AutopackDbContext db, CancellationToken ct)
    {
        var stored = await db.KillSwitches.AsNoTracking().ToDictionaryAsync(k => k.Name, ct);
        return TypedResults.Ok(new KillSwitchList(KillSwitchNames.All.Select(n => stored.TryGetValue(n, out var k)
            ? new KillSwitchDto(k.Name, k.Enabled, k.Reason, k.UpdatedBy, k.UpdatedAt)
            : new KillSwitchDto(n, false, null, null, null)).ToList()));
    }

    private static async Task<Results<Ok<KillSwitchDto>, ProblemHttpResult>> Set(string name, KillSwitchUpdate? update, ClaimsPrincipal user, AutopackDbContext db, KillSwitchReader reader,
        TimeProvider time, CancellationToken ct)
    {
        if (!KillSwitchNames.All.Contains(name)) return ApiProblem.NotFound($"Kill switch '{name}'");
        if (update?.Enabled is null) return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["enabled"] = ["is required (true or false)"] });
        if (update.Reason is { Length: > 1_000 }) return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["reason"] = ["must be at most 1,000 characters"] });
        var row = await db.KillSwitches.SingleOrDefaultAsync(k => k.Name == name, ct);
        if (row is null) db.KillSwitches.Add(row = new KillSwitch { Name = name });
        row.Enabled = update.Enabled.Value;
        row.Reason = update.Reason;
        row.UpdatedBy = user.Identity?.Name;
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        reader.Invalidate();
        return TypedResults.Ok(new KillSwitchDto(row.Name, row.Enabled, row.Reason, row.UpdatedBy, row.UpdatedAt));
    }
}
