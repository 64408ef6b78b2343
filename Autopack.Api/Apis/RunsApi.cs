using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Apis;

public static class RunsApi
{
    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        // The typed results put the success shapes into the OpenAPI document; ProducesProblem names the problems each route answers.
        var runs = app.MapGroup("/runs").WithTags("Runs").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        runs.MapPost("/", CreateRun).RequireAuthorization(AuthPolicies.Operator)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapGet("/", ListRuns).ProducesValidationProblem(StatusCodes.Status400BadRequest);
        runs.MapGet("/{runId}", GetRun).ProducesProblem(StatusCodes.Status404NotFound);
        runs.MapGet("/{runId}/progress", GetProgress).ProducesProblem(StatusCodes.Status404NotFound);
        runs.MapGet("/{runId}/usage", GetUsage).ProducesProblem(StatusCodes.Status404NotFound);
        runs.MapPost("/{runId}/cancel", CancelRun).RequireAuthorization(AuthPolicies.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapPost("/{runId}/resume", ResumeRun).RequireAuthorization(AuthPolicies.Operator).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapGet("/{runId}/phases/{phaseId}", GetPhase).ProducesProblem(StatusCodes.Status404NotFound);
        runs.MapPost("/{runId}/phases/{phaseId}/retry", RetryPhase).RequireAuthorization(AuthPolicies.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return runs;
    }

    private static async Task<Results<Created<RunDto>, ContentHttpResult, ProblemHttpResult>> CreateRun(CreateRunRequest? request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext http, RunCreator creator, IdempotencyKeys keys, RepoPathPolicy repoPaths, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        IOptions<ApiLimitsOptions> limits, CancellationToken ct)
    {
        if (request is null) return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["body"] = ["a run plan is required"] });
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200 || idempotencyKey.Any(c => c is < ' ' or > '~')))
            return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["Idempotency-Key"] = ["must be 1-200 printable ASCII characters"] });
        var missing = RunPlanValidator.Required(request);
        if (missing.Count > 0) return ApiProblem.Validation(400, missing);
        var inconsistent = RunPlanValidator.Consistency(request, repoPaths);
        if (inconsistent.Count > 0) return ApiProblem.Validation(422, inconsistent, "The run plan is not consistent.");
        if (request.RepoPath is not null && repoPaths.Check(request.RepoPath, out var normalRepoPath) is null) request = request with { RepoPath = normalRepoPath };

        if (idempotencyKey is not null)
        {
            var fingerprint = IdempotencyKeys.Fingerprint(request, json.Value.SerializerOptions);
            switch (await keys.ClaimAsync(idempotencyKey, fingerprint, TimeSpan.FromMilliseconds(limits.Value.RequestTimeoutMs), ct))
            {
                case IdempotencyKeys.Reused:
                    return ApiProblem.Create(422, ProblemCodes.IdempotencyKeyReused,
                        "This Idempotency-Key was already used with a different request body; use a new key for a new request.");
                case IdempotencyKeys.InFlight inFlight:
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(inFlight.RetryAfter.TotalSeconds)).ToString();
                    return ApiProblem.Conflict(ProblemCodes.IdempotencyKeyInFlight, "A request with this Idempotency-Key is still being processed; retry after Retry-After.");
                case IdempotencyKeys.Replay replay:
                    if (replay.Status == StatusCodes.Status201Created) http.Response.Headers.Location = $"/runs/{replay.ResourceId}";
                    return TypedResults.Text(replay.Body, "application/json", System.Text.Encoding.UTF8, replay.Status);
            }
        }
        var created = false;
        try
        {
            var result = await creator.CreateAsync(request, idempotencyKey, ct);
            if (result.Outcome == RunCreator.Outcome.IdTaken) return ApiProblem.Conflict(ProblemCodes.RunExists, $"A run with id '{result.RunId}' already exists.");
            created = true;
            return TypedResults.Created($"/runs/{result.RunId}", result.Run!);
        }
        finally
        {
            // Nothing worth replaying happened (a taken id, an error): the key is free for the client's next try.
            if (idempotencyKey is not null && !created) await keys.ReleaseAsync(idempotencyKey);
        }
    }

    private static async Task<Results<CachedJson<RunPage>, Ok<RunPage>, ProblemHttpResult>> ListRuns(RunQueries runs, RunVersions versions, RunReadCache cache,
        string? state, int? page, [FromQuery(Name = "page_size")] int? pageSize, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        RunState parsed = default;
        if (state is not null && !EnumNames.TryParse(state, out parsed)) errors["state"] = ["must be one of QUEUED, RUNNING, PAUSED, COMPLETE, FAILED, CANCELLED"];
        if (page is < 1) errors["page"] = ["must be at least 1"];
        if (pageSize is < 1 or > 200) errors["page_size"] = ["must be between 1 and 200"];
        if (errors.Count > 0) return ApiProblem.Validation(400, errors);
        RunState? filter = state is null ? null : parsed;
        int number = page ?? 1, size = pageSize ?? 20;
        if (!versions.Available) return TypedResults.Ok(await runs.ListAsync(filter, number, size, ct));
        var version = await versions.OfPageAsync(filter, number, size, ct);
        var entry = await cache.GetAsync($"page:{filter}:{number}:{size}", version, async () => await runs.ListAsync(filter, number, size, ct));
        return new CachedJson<RunPage>(entry!);
    }

    private static async Task<Results<CachedJson<RunDto>, Ok<RunDto>, ProblemHttpResult>> GetRun(string runId, RunQueries runs, RunVersions versions,
        RunReadCache cache, CancellationToken ct)
    {
        if (!versions.Available) return await runs.GetAsync(runId, ct) is { } dto ? TypedResults.Ok(dto) : ApiProblem.NotFound($"Run '{runId}'");
        // Read before the run, so a body is never kept under a version newer than what it shows.
        if (await versions.OfRunAsync(runId, ct) is not { } version) return ApiProblem.NotFound($"Run '{runId}'");
        return await cache.GetAsync("run:" + runId, version, () => runs.GetAsync(runId, ct)) is { } entry
            ? new CachedJson<RunDto>(entry) : ApiProblem.NotFound($"Run '{runId}'");
    }

    private static async Task<Results<Ok<RunProgressDto>, ProblemHttpResult>> GetProgress(string runId, AutopackDbContext db, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null) return ApiProblem.NotFound($"Run '{runId}'");
        var states = await db.Phases.AsNoTracking().Where(p => p.RunId == runId).Select(p => p.State).ToListAsync(ct);
        var progress = RunDto.ProgressOf(states);
        return TypedResults.Ok(new RunProgressDto(run.Id, EnumNames.ToWire(run.State), progress.Total, progress.Completed, progress.Failed,
            progress.Executing, progress.Queued, progress.Percent, run.TokensUsed, run.TokenCap));
    }

    private static async Task<Results<Ok<RunUsage>, ProblemHttpResult>> GetUsage(string runId, AutopackDbContext db, CancellationToken ct)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == runId, ct)) return ApiProblem.NotFound($"Run '{runId}'");
        var events = await db.LlmUsageEvents.AsNoTracking().Where(u => u.RunId == runId).OrderBy(u => u.Id).ToListAsync(ct);
        var byModel = events.GroupBy(e => (e.Provider, e.Model, e.Role))
            .Select(g => new UsageByModel(g.Key.Provider, g.Key.Model, g.Key.Role, g.Sum(e => e.PromptTokens), g.Sum(e => e.CompletionTokens), g.Count()))
            .OrderByDescending(u => u.PromptTokens + u.CompletionTokens).ToList();
        long running = 0;
        var timeline = events.Select(e => new UsagePoint(e.CreatedAt, running += e.PromptTokens + e.CompletionTokens)).ToList();
        return TypedResults.Ok(new RunUsage(running, byModel, timeline));
    }

    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> CancelRun(string runId, RunControl control, RunQueries runs, CancellationToken ct)
    {
        return await control.CancelAsync(runId, ct) switch
        {
            ControlResult.NotFound => ApiProblem.NotFound($"Run '{runId}'"),
            ControlResult.Conflict refused => ApiProblem.Conflict(ProblemCodes.Conflict, refused.Reason),
            _ => await ChangedRunAsync(runs, runId, ct),
        };
    }

    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> ResumeRun(string runId, ResumeRunRequest? request, RunControl control, RunQueries runs, CancellationToken ct)
    {
        if (request?.TokenCap is < RunCaps.MinTokenCap)
            return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["token_cap"] = [$"must be at least {RunCaps.MinTokenCap}"] });
        return await control.ResumeAsync(runId, request?.TokenCap, ct) switch
        {
            ControlResult.NotFound => ApiProblem.NotFound($"Run '{runId}'"),
            ControlResult.Conflict refused => ApiProblem.Conflict(ProblemCodes.Conflict, refused.Reason),
            _ => await ChangedRunAsync(runs, runId, ct),
        };
    }

    private static async Task<Results<Ok<PhaseDetailDto>, ProblemHttpResult>> GetPhase(string runId, string phaseId, AutopackDbContext db, CancellationToken ct)
    {
        var phase = await db.Phases.AsNoTracking().SingleOrDefaultAsync(p => p.RunId == runId && p.PhaseId == phaseId, ct);
        if (phase is null) return ApiProblem.NotFound($"Phase '{phaseId}' of run '{runId}'");
        var attempts = await db.PhaseAttempts.AsNoTracking().Where(a => a.RunId == runId && a.PhaseId == phaseId).OrderBy(a => a.Number)
            .Select(a => new AttemptDto(a.Number, a.Model, a.Outcome, a.FailureReason, a.Diff, a.TestOutput, a.TestExitCode, a.AuditorVerdict,
                a.AuditorNotes, a.PromptTokens, a.CompletionTokens, a.StartedAt, a.CompletedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(new PhaseDetailDto(PhaseDto.From(phase), attempts));
    }

    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> RetryPhase(string runId, string phaseId, RunControl control, RunQueries runs, CancellationToken ct)
    {
        return await control.RetryPhaseAsync(runId, phaseId, ct) switch
        {
            ControlResult.NotFound => ApiProblem.NotFound($"Phase '{phaseId}' of run '{runId}'"),
            ControlResult.Conflict refused => ApiProblem.Conflict(ProblemCodes.Conflict, refused.Reason),
            _ => await ChangedRunAsync(runs, runId, ct),
        };
    }

    /// <summary>The run after a change; gone meanwhile (deleted between the change and the read) is a 404 like any other.</summary>
    private static async Task<Results<Ok<RunDto>, ProblemHttpResult>> ChangedRunAsync(RunQueries runs, string runId, CancellationToken ct) =>
        await runs.GetAsync(runId, ct) is { } dto ? TypedResults.Ok(dto) : ApiProblem.NotFound($"Run '{runId}'");
}
