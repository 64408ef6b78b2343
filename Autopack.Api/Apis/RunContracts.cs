using Autopack.Core.Domain;

namespace Autopack.Api.Apis;

// Wire shapes of docs/api-contract.md (snake_case by the JSON options).

public sealed record CreateRunRequest(
    string? RunId, string? Name, string? RepoPath, long? TokenCap, int? MaxPhases, int? MaxDurationMinutes,
    List<TierRequest>? Tiers, List<PhaseRequest>? Phases, SandboxRequest? Sandbox = null);

public sealed record TierRequest(string? TierId, string? Name, string? Description);

public sealed record PhaseRequest(
    string? PhaseId, string? TierId, string? Name, string? Description, string? Complexity,
    ScopeRequest? Scope, string? TestCommand, int? MaxAttempts, SandboxRequest? Sandbox = null);

public sealed record ScopeRequest(List<string>? Paths, List<string>? ReadOnlyContext);

/// <summary>What the test command's sandbox may do; on a phase, a member left out takes the run's value.</summary>
public sealed record SandboxRequest(bool? Network);

public sealed record ResumeRunRequest(long? TokenCap);

public sealed record ProgressDto(int Total, int Completed, int Failed, int Executing, int Queued, double Percent)
{
    /// <summary>Completed counts COMPLETE and SKIPPED; executing counts EXECUTING, GATE and CI_RUNNING.</summary>
    public static ProgressDto Of(int total, int completed, int failed, int executing, int queued) =>
        new(total, completed, failed, executing, queued, total == 0 ? 0 : Math.Round(100.0 * completed / total, 1));
}

public sealed record TierDto(string TierId, string Name, string Description, int Index);

public sealed record ScopeDto(IReadOnlyList<string> Paths, IReadOnlyList<string> ReadOnlyContext);

/// <summary>The run plan's sandbox settings: <c>network</c> true when the test command may use the host's network.</summary>
public sealed record SandboxDto(bool Network);

public sealed record PhaseDto(
    string PhaseId, string TierId, string Name, string Description, int Index, string State, string Complexity, ScopeDto Scope,
    string? TestCommand, SandboxDto Sandbox, int Attempts, int MaxAttempts, string? FailureReason, string? StatusReason, long TokensUsed,
    string? CommitSha, string? ClaimedBy, DateTime? StartedAt, DateTime? CompletedAt)
{
    public static PhaseDto From(Phase p) => new(p.PhaseId, p.TierId, p.Name, p.Description, p.Index, EnumNames.ToWire(p.State),
        EnumNames.ToWire(p.Complexity).ToLowerInvariant(), new ScopeDto(p.ScopePaths, p.ReadOnlyContext), p.TestCommand,
        new SandboxDto(p.SandboxNetwork), p.Attempts,
        p.MaxAttempts, p.FailureReason, p.StatusReason, p.TokensUsed, p.CommitSha, p.ClaimedBy, p.StartedAt, p.CompletedAt);
}

public sealed record RunDto(
    string RunId, string Name, string State, string? RepoPath, string? Branch, long TokenCap, long TokensUsed, int MaxPhases,
    int MaxDurationMinutes, SandboxDto Sandbox, string? PauseReason, string? FailureReason, DateTime CreatedAt, DateTime? StartedAt, DateTime? CompletedAt,
    ProgressDto Progress, IReadOnlyList<TierDto>? Tiers, IReadOnlyList<PhaseDto>? Phases)
{
    public static RunDto From(Run r, IReadOnlyCollection<PhaseState> phaseStates, IEnumerable<Tier>? tiers = null, IEnumerable<Phase>? phases = null) =>
        From(r, ProgressOf(phaseStates), tiers, phases);

    public static RunDto From(Run r, ProgressDto progress, IEnumerable<Tier>? tiers = null, IEnumerable<Phase>? phases = null) =>
        new(r.Id, r.Name, EnumNames.ToWire(r.State), r.RepoPath, r.Branch, r.TokenCap, r.TokensUsed, r.MaxPhases, r.MaxDurationMinutes,
            new SandboxDto(r.SandboxNetwork), r.PauseReason, r.FailureReason, r.CreatedAt, r.StartedAt, r.CompletedAt, progress,
            tiers?.OrderBy(t => t.Index).Select(t => new TierDto(t.TierId, t.Name, t.Description, t.Index)).ToList(),
            phases?.OrderBy(p => p.TierIndex).ThenBy(p => p.Index).Select(PhaseDto.From).ToList());

    public static ProgressDto ProgressOf(IReadOnlyCollection<PhaseState> states) => ProgressOf(states.Select(s => (s, 1)));

    /// <summary>Progress from phase counts by state (a GROUP BY's rows).</summary>
    public static ProgressDto ProgressOf(IEnumerable<(PhaseState State, int Count)> counts)
    {
        int total = 0, completed = 0, failed = 0, executing = 0, queued = 0;
        foreach (var (state, n) in counts)
        {
            total += n;
            if (state is PhaseState.Complete or PhaseState.Skipped) completed += n;
            else if (state == PhaseState.Failed) failed += n;
            else if (state is PhaseState.Executing or PhaseState.Gate or PhaseState.CiRunning) executing += n;
            else if (state == PhaseState.Queued) queued += n;
        }
        return ProgressDto.Of(total, completed, failed, executing, queued);
    }
}

public sealed record RunProgressDto(string RunId, string State, int Total, int Completed, int Failed, int Executing, int Queued,
    double Percent, long TokensUsed, long TokenCap);

/// <summary>GET /runs/{id}/phases/{pid}: the phase as in the run detail, and every attempt in full.</summary>
public sealed record PhaseDetailDto(PhaseDto Phase, IReadOnlyList<AttemptDto> AttemptsDetail);

public sealed record RunPage(IReadOnlyList<RunDto> Items, int Total, int Page, int PageSize);

public sealed record AttemptDto(int Number, string? Model, string Outcome, string? FailureReason, string? Diff, string? TestOutput,
    int? TestExitCode, string? AuditorVerdict, string? AuditorNotes, long PromptTokens, long CompletionTokens, DateTime StartedAt, DateTime? CompletedAt);

public sealed record UsageByModel(string Provider, string Model, string Role, long PromptTokens, long CompletionTokens, int Calls);

public sealed record UsagePoint(DateTime At, long Tokens);

public sealed record RunUsage(long TotalTokens, IReadOnlyList<UsageByModel> ByModel, IReadOnlyList<UsagePoint> Timeline);
