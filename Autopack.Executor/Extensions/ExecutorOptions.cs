using Autopack.Core.Configuration;
using Autopack.Core.Outbox;
using Autopack.Executor.Sandbox;

namespace Autopack.Executor.Extensions;

/// <summary>Everything the loop is tuned by, read once from environment variables (see docs/executor.md) and validated.</summary>
public sealed record ExecutorOptions
{
    public string WorkerId { get; init; } = DefaultWorkerId();
    public string? TargetRepoPath { get; init; }
    public required string WorktreeRoot { get; init; }
    /// <summary>Phases this process works on at once.</summary>
    public int Slots { get; init; } = 2;
    /// <summary>Phases of one run in flight at once (across all executors); they must have non-overlapping scopes.</summary>
    public int MaxParallelPhasesPerRun { get; init; } = 2;
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan TestTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public int TestOutputMaxChars { get; init; } = 8_000;
    public long PhaseTokenCap { get; init; } = 1_000_000;
    public int MaxOutputTokens { get; init; } = 4_096;
    public int MaxOutputTokensCap { get; init; } = 16_384;
    public int PromptMaxChars { get; init; } = 60_000;
    public IReadOnlyList<string> ProtectedPaths { get; init; } = [];
    public int DeletionApprovalLines { get; init; } = 200;
    public TimeSpan ApprovalTtl { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan ApprovalPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public bool MemoryEnabled { get; init; } = true;
    public string QdrantCollection { get; init; } = "autopack_memory";
    /// <summary><c>provider:model</c> for embeddings (openai, compat); null = the local hashing embedder.</summary>
    public string? EmbeddingModel { get; init; }
    public Uri? ApiUrl { get; init; }
    /// <summary>Executor errors in a row (releases without an attempt outcome) before the phase fails with EXECUTOR_ERROR.</summary>
    public int MaxErrorReleases { get; init; } = 5;
    /// <summary>Wait before a phase released by an executor error is claimed again: base × 2^(n−1), capped, ±20 % jitter.</summary>
    public BackoffPolicy ErrorBackoff { get; init; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(2), 0.2);
    /// <summary>Keep the empty <c>autopack/&lt;run&gt;</c> branch and worktree folder of a run that ended without commits.</summary>
    public bool KeepEmptyBranches { get; init; }
    /// <summary>How test commands are sandboxed (AUTOPACK_SANDBOX*).</summary>
    public SandboxOptions Sandbox { get; init; } = new();

    /// <summary>host-pid-random: unique per process, readable in claimed_by.</summary>
    public static string DefaultWorkerId() => $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..4]}";

    public static ExecutorOptions Load(IConfiguration c, AutopackSettings settings)
    {
        var problems = new List<string>();
        int Int(string key, int def, int min)
        {
            var raw = c[key];
            if (string.IsNullOrWhiteSpace(raw)) return def;
            if (int.TryParse(raw, out var v) && v >= min) return v;
            problems.Add($"{key}='{raw}' must be an integer ≥ {min}.");
            return def;
        }
        var apiRaw = c["services:api:http:0"] ?? c["services__api__http__0"] ?? c["AUTOPACK_API_URL"];
        Uri? api = null;
        if (!string.IsNullOrWhiteSpace(apiRaw) && !Uri.TryCreate(apiRaw, UriKind.Absolute, out api))
            problems.Add($"AUTOPACK_API_URL='{apiRaw}' is not an absolute URL.");
        var options = new ExecutorOptions
        {
            WorkerId = string.IsNullOrWhiteSpace(c["AUTOPACK_EXECUTOR_ID"]) ? DefaultWorkerId() : c["AUTOPACK_EXECUTOR_ID"]!,
            TargetRepoPath = string.IsNullOrWhiteSpace(c["TARGET_REPO_PATH"]) ? null : Path.GetFullPath(c["TARGET_REPO_PATH"]!),
            WorktreeRoot = Path.Combine(settings.StateRoot, "worktrees"),
            Slots = Int("AUTOPACK_EXECUTOR_SLOTS", 2, 1),
            MaxParallelPhasesPerRun = Int("AUTOPACK_MAX_PARALLEL_PHASES", 2, 1),
            PollInterval = TimeSpan.FromMilliseconds(Int("AUTOPACK_POLL_INTERVAL_MS", 1000, 50)),
            Lease = TimeSpan.FromSeconds(Int("AUTOPACK_LEASE_SECONDS", 30, 2)),
            PhaseTimeout = TimeSpan.FromMinutes(Int("AUTOPACK_PHASE_TIMEOUT_MINUTES", 15, 1)),
            TestTimeout = TimeSpan.FromSeconds(Int("AUTOPACK_TEST_TIMEOUT_SECONDS", 300, 1)),
            TestOutputMaxChars = Int("AUTOPACK_TEST_OUTPUT_MAX_CHARS", 8_000, 500),
            PhaseTokenCap = Int("AUTOPACK_PHASE_TOKEN_CAP", 1_000_000, 1_000),
            MaxOutputTokens = Int("AUTOPACK_MAX_OUTPUT_TOKENS", 4_096, 64),
            MaxOutputTokensCap = Int("AUTOPACK_MAX_OUTPUT_TOKENS_CAP", 16_384, 64),
            PromptMaxChars = Int("AUTOPACK_PROMPT_MAX_CHARS", 60_000, 2_000),
            ProtectedPaths = (c["AUTOPACK_PROTECTED_PATHS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            DeletionApprovalLines = Int("AUTOPACK_APPROVAL_DELETION_LINES", 200, 0),
            ApprovalTtl = TimeSpan.FromMinutes(Int("AUTOPACK_APPROVAL_TTL_MINUTES", 15, 1)),
            MemoryEnabled = c["AUTOPACK_ENABLE_MEMORY"] is not ("0" or "false"),
            QdrantCollection = string.IsNullOrWhiteSpace(c["AUTOPACK_QDRANT_COLLECTION"]) ? "autopack_memory" : c["AUTOPACK_QDRANT_COLLECTION"]!,
            EmbeddingModel = string.IsNullOrWhiteSpace(c["AUTOPACK_EMBEDDINGS"]) ? null : c["AUTOPACK_EMBEDDINGS"],
            ApiUrl = api,
            MaxErrorReleases = Int("AUTOPACK_MAX_EXECUTOR_ERRORS", 5, 1),
            ErrorBackoff = new BackoffPolicy(TimeSpan.FromSeconds(Int("AUTOPACK_ERROR_BACKOFF_SECONDS", 2, 1)), TimeSpan.FromMinutes(2), 0.2),
            KeepEmptyBranches = c["AUTOPACK_KEEP_EMPTY_BRANCHES"] is "1" or "true",
            Sandbox = SandboxOptions.Load(c, settings.IsProduction, problems),
        };
        if (options.MaxOutputTokensCap < options.MaxOutputTokens)
            problems.Add("AUTOPACK_MAX_OUTPUT_TOKENS_CAP must be ≥ AUTOPACK_MAX_OUTPUT_TOKENS.");
        if (problems.Count > 0) throw new InvalidOperationException("Executor configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => " - " + p)));
        return options;
    }
}
