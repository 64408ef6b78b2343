using System.ComponentModel.DataAnnotations;
using Autopack.Executor.Sandbox;
using Autopack.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Executor.Extensions;

/// <summary>
/// The executor's variables (docs/executor.md), bound once at start by the names on each property and checked by the generated
/// <see cref="ExecutorVariablesValidator"/>; <see cref="ToOptions"/> turns them into the loop's <see cref="ExecutorOptions"/>
/// (units into <see cref="TimeSpan"/>s). Numbers are nullable so that an empty variable, like an unset one, keeps the
/// default of <see cref="ExecutorOptions"/>.
/// </summary>
public sealed class ExecutorVariables : IValidatableObject
{
    [ConfigurationKeyName("AUTOPACK_EXECUTOR_ID")] public string? WorkerId { get; set; }
    [ConfigurationKeyName("TARGET_REPO_PATH")] public string? TargetRepoPath { get; set; }
    [ConfigurationKeyName("AUTOPACK_EXECUTOR_SLOTS")] [AtLeast(1)] public int? Slots { get; set; }
    [ConfigurationKeyName("AUTOPACK_MAX_PARALLEL_PHASES")] [AtLeast(1)] public int? MaxParallelPhasesPerRun { get; set; }
    [ConfigurationKeyName("AUTOPACK_POLL_INTERVAL_MS")] [AtLeast(50)] public int? PollIntervalMs { get; set; }
    [ConfigurationKeyName("AUTOPACK_LEASE_SECONDS")] [AtLeast(2)] public int? LeaseSeconds { get; set; }
    [ConfigurationKeyName("AUTOPACK_PHASE_TIMEOUT_MINUTES")] [AtLeast(1)] public int? PhaseTimeoutMinutes { get; set; }
    [ConfigurationKeyName("AUTOPACK_TEST_TIMEOUT_SECONDS")] [AtLeast(1)] public int? TestTimeoutSeconds { get; set; }
    [ConfigurationKeyName("AUTOPACK_TEST_OUTPUT_MAX_CHARS")] [AtLeast(500)] public int? TestOutputMaxChars { get; set; }
    [ConfigurationKeyName("AUTOPACK_PHASE_TOKEN_CAP")] [AtLeast(1_000)] public int? PhaseTokenCap { get; set; }
    [ConfigurationKeyName("AUTOPACK_MAX_OUTPUT_TOKENS")] [AtLeast(64)] public int? MaxOutputTokens { get; set; }
    [ConfigurationKeyName("AUTOPACK_MAX_OUTPUT_TOKENS_CAP")] [AtLeast(64)] public int? MaxOutputTokensCap { get; set; }
    [ConfigurationKeyName("AUTOPACK_PROMPT_MAX_CHARS")] [AtLeast(2_000)] public int? PromptMaxChars { get; set; }
    /// <summary>Comma-separated.</summary>
    [ConfigurationKeyName("AUTOPACK_PROTECTED_PATHS")] public string? ProtectedPaths { get; set; }
    [ConfigurationKeyName("AUTOPACK_APPROVAL_DELETION_LINES")] [AtLeast(0)] public int? DeletionApprovalLines { get; set; }
    [ConfigurationKeyName("AUTOPACK_APPROVAL_TTL_MINUTES")] [AtLeast(1)] public int? ApprovalTtlMinutes { get; set; }
    /// <summary>Anything but <c>0</c> or <c>false</c> keeps memory on.</summary>
    [ConfigurationKeyName("AUTOPACK_ENABLE_MEMORY")] public string? MemoryEnabled { get; set; }
    [ConfigurationKeyName("AUTOPACK_QDRANT_COLLECTION")] public string? QdrantCollection { get; set; }
    [ConfigurationKeyName("AUTOPACK_EMBEDDINGS")] public string? EmbeddingModel { get; set; }
    /// <summary>The API's URL as Aspire's service discovery gives it (<c>services__api__http__0</c>); wins over <see cref="ApiUrl"/>.</summary>
    [ConfigurationKeyName("services:api:http:0")] public string? DiscoveredApiUrl { get; set; }
    [ConfigurationKeyName("AUTOPACK_API_URL")] public string? ApiUrl { get; set; }
    [ConfigurationKeyName("AUTOPACK_MAX_EXECUTOR_ERRORS")] [AtLeast(1)] public int? MaxErrorReleases { get; set; }
    [ConfigurationKeyName("AUTOPACK_ERROR_BACKOFF_SECONDS")] [AtLeast(1)] public int? ErrorBackoffSeconds { get; set; }
    /// <summary><c>1</c> or <c>true</c> keeps them.</summary>
    [ConfigurationKeyName("AUTOPACK_KEEP_EMPTY_BRANCHES")] public string? KeepEmptyBranches { get; set; }

    private string? ApiUrlText => Present(DiscoveredApiUrl) ?? Present(ApiUrl);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ApiUrlText is { } api && !Uri.TryCreate(api, UriKind.Absolute, out _))
            yield return new ValidationResult($"AUTOPACK_API_URL='{api}' is not an absolute URL.");
        if ((MaxOutputTokensCap ?? Defaults.MaxOutputTokensCap) < (MaxOutputTokens ?? Defaults.MaxOutputTokens))
            yield return new ValidationResult("AUTOPACK_MAX_OUTPUT_TOKENS_CAP must be ≥ AUTOPACK_MAX_OUTPUT_TOKENS.");
    }

    /// <summary>The loop's options: these values over <see cref="ExecutorOptions"/>' defaults; worktrees live under the state root.</summary>
    public ExecutorOptions ToOptions(string stateRoot, SandboxOptions sandbox)
    {
        var d = Defaults;
        return d with
        {
            WorkerId = Present(WorkerId) ?? ExecutorOptions.DefaultWorkerId(),
            TargetRepoPath = Present(TargetRepoPath) is { } repo ? Path.GetFullPath(repo) : null,
            WorktreeRoot = Path.Combine(stateRoot, "worktrees"),
            Slots = Slots ?? d.Slots,
            MaxParallelPhasesPerRun = MaxParallelPhasesPerRun ?? d.MaxParallelPhasesPerRun,
            PollInterval = PollIntervalMs is { } poll ? TimeSpan.FromMilliseconds(poll) : d.PollInterval,
            Lease = LeaseSeconds is { } lease ? TimeSpan.FromSeconds(lease) : d.Lease,
            PhaseTimeout = PhaseTimeoutMinutes is { } phase ? TimeSpan.FromMinutes(phase) : d.PhaseTimeout,
            TestTimeout = TestTimeoutSeconds is { } test ? TimeSpan.FromSeconds(test) : d.TestTimeout,
            TestOutputMaxChars = TestOutputMaxChars ?? d.TestOutputMaxChars,
            PhaseTokenCap = PhaseTokenCap ?? d.PhaseTokenCap,
            MaxOutputTokens = MaxOutputTokens ?? d.MaxOutputTokens,
            MaxOutputTokensCap = MaxOutputTokensCap ?? d.MaxOutputTokensCap,
            PromptMaxChars = PromptMaxChars ?? d.PromptMaxChars,
            ProtectedPaths = (ProtectedPaths ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            DeletionApprovalLines = DeletionApprovalLines ?? d.DeletionApprovalLines,
            ApprovalTtl = ApprovalTtlMinutes is { } ttl ? TimeSpan.FromMinutes(ttl) : d.ApprovalTtl,
            MemoryEnabled = MemoryEnabled is not ("0" or "false"),
            QdrantCollection = Present(QdrantCollection) ?? d.QdrantCollection,
            EmbeddingModel = Present(EmbeddingModel),
            ApiUrl = ApiUrlText is { } api ? new Uri(api, UriKind.Absolute) : null,
            MaxErrorReleases = MaxErrorReleases ?? d.MaxErrorReleases,
            ErrorBackoff = ErrorBackoffSeconds is { } backoff ? d.ErrorBackoff with { Base = TimeSpan.FromSeconds(backoff) } : d.ErrorBackoff,
            KeepEmptyBranches = KeepEmptyBranches is "1" or "true",
            Sandbox = sandbox,
        };
    }

    private static readonly ExecutorOptions Defaults = new() { WorktreeRoot = "" };

    private static string? Present(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>The data-annotation checks of <see cref="ExecutorVariables"/>, generated at compile time.</summary>
[OptionsValidator]
public sealed partial class ExecutorVariablesValidator : IValidateOptions<ExecutorVariables>;
