using System.Security.Claims;
using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Apis;

public sealed record CreateApprovalRequest(string? RunId, string? PhaseId, string? Kind, string? Reason, string? Diff);

public sealed record DecisionRequest(string? Comment);

public sealed record ApprovalDto(string ApprovalId, string RunId, string? PhaseId, string Kind, string Reason, string? Diff, string Status,
    string? DecidedBy, string? DecisionSource, string? Comment, DateTime CreatedAt, DateTime ExpiresAt, DateTime? DecidedAt)
{
    public static ApprovalDto From(ApprovalRequest a) => new(a.Id, a.RunId, a.PhaseId, EnumNames.ToWire(a.Kind), a.Reason, a.Diff,
        EnumNames.ToWire(a.Status), a.DecidedBy, a.DecisionSource, a.Comment, a.CreatedAt, a.ExpiresAt, a.DecidedAt);
}

public sealed record ApprovalList(IReadOnlyList<ApprovalDto> Items);

public static class ApprovalsApi
{
    public static RouteGroupBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        var approvals = app.MapGroup("/approvals").WithTags("Approvals")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        approvals.MapPost("/", Create).RequireAuthorization(AuthPolicies.Operator).ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status404NotFound);
        approvals.MapGet("/", List).ProducesValidationProblem(StatusCodes.Status400BadRequest);
        approvals.MapGet("/{approvalId}", Get).ProducesProblem(StatusCodes.Status404NotFound);
        approvals.MapPost("/{approvalId}/approve", (string approvalId, DecisionRequest? body, ClaimsPrincipal user, IAutopackDbFactory db, CancellationToken ct) =>
            Decide(approvalId, true, body, user, db, ct)).RequireAuthorization(AuthPolicies.Operator).WithDecisionProblems();
        approvals.MapPost("/{approvalId}/reject", (string approvalId, DecisionRequest? body, ClaimsPrincipal user, IAutopackDbFactory db, CancellationToken ct) =>
            Decide(approvalId, false, body, user, db, ct)).RequireAuthorization(AuthPolicies.Operator).WithDecisionProblems();
        return approvals;
    }

    private static RouteHandlerBuilder WithDecisionProblems(this RouteHandlerBuilder route) => route
        .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<ApprovalDto>, ProblemHttpResult>> Create(CreateApprovalRequest? request, IAutopackDbFactory dbFactory, IOptions<ApiLimitsOptions> limits, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.RunId)) errors["run_id"] = ["is required"];
        if (string.IsNullOrWhiteSpace(request?.Reason)) errors["reason"] = ["is required"];
        if (errors.Count > 0) return ApiProblem.Validation(400, errors);
        var kind = ApprovalKind.Manual;
        if (request!.Kind is not null && !EnumNames.TryParse(request.Kind, out kind))
            return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["kind"] = ["must be SCOPE_VIOLATION, LARGE_DELETION, AUDITOR_ESCALATE or MANUAL"] });
        if (request.Reason!.Length > 4_000) return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["reason"] = ["must be at most 4,000 characters"] });
        await using var db = dbFactory.Create();
        if (!await db.Runs.AnyAsync(r => r.Id == request.RunId, ct)) return ApiProblem.NotFound($"Run '{request.RunId}'");
        if (request.PhaseId is not null && !await db.Phases.AnyAsync(p => p.RunId == request.RunId && p.PhaseId == request.PhaseId, ct))
            return ApiProblem.NotFound($"Phase '{request.PhaseId}' of run '{request.RunId}'");
        var approval = await ApprovalWorkflow.RequestAsync(db, request.RunId!, request.PhaseId, kind, request.Reason, request.Diff,
            TimeSpan.FromMinutes(limits.Value.ApprovalTtlMinutes), ct);
        return TypedResults.Created($"/approvals/{approval.Id}", ApprovalDto.From(approval));
    }

    private static async Task<Results<Ok<ApprovalList>, ProblemHttpResult>> List(AutopackDbContext db, string? status, [FromQuery(Name = "run_id")] string? runId, CancellationToken ct)
    {
        var query = db.Approvals.AsNoTracking();
        if (status is not null)
        {
            if (!EnumNames.TryParse<ApprovalStatus>(status, out var parsed))
                return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["status"] = ["must be PENDING, APPROVED, REJECTED or EXPIRED"] });
            query = query.Where(a => a.Status == parsed);
        }
        if (runId is not null) query = query.Where(a => a.RunId == runId);
        var items = await query.OrderByDescending(a => a.CreatedAt).Take(200).ToListAsync(ct);
        return TypedResults.Ok(new ApprovalList(items.Select(ApprovalDto.From).ToList()));
    }

    private static async Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> Get(string approvalId, AutopackDbContext db, CancellationToken ct) =>
        await db.Approvals.AsNoTracking().SingleOrDefaultAsync(a => a.Id == approvalId, ct) is { } a
            ? TypedResults.Ok(ApprovalDto.From(a))
            : ApiProblem.NotFound($"Approval '{approvalId}'");

    private static async Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> Decide(string approvalId, bool approve, DecisionRequest? body, ClaimsPrincipal user, IAutopackDbFactory dbFactory, CancellationToken ct)
    {
        if (body?.Comment is { Length: > 2_000 }) return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["comment"] = ["must be at most 2,000 characters"] });
        await using var db = dbFactory.Create();
        var source = user.FindFirstValue("auth") == "jwt" ? "dashboard" : "api";
        var result = await ApprovalWorkflow.DecideAsync(db, approvalId, approve, user.Identity?.Name ?? "unknown", source, body?.Comment, ct);
        return result.Outcome switch
        {
            ApprovalDecisionOutcome.NotFound => ApiProblem.NotFound($"Approval '{approvalId}'"),
            ApprovalDecisionOutcome.AlreadyDecided => ApiProblem.Conflict(ProblemCodes.ApprovalDecided,
                $"Approval is already {EnumNames.ToWire(result.Approval!.Status)}.", new Dictionary<string, object?> { ["approval_status"] = EnumNames.ToWire(result.Approval.Status) }),
            ApprovalDecisionOutcome.Expired => ApiProblem.Conflict(ProblemCodes.ApprovalExpired, "The approval expired before the decision; it counts as rejected.",
                new Dictionary<string, object?> { ["approval_status"] = "EXPIRED" }),
            _ => TypedResults.Ok(ApprovalDto.From(result.Approval!)),
        };
    }
}
