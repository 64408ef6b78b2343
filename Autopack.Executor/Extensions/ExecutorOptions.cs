using Autopack.Core.Outbox;
using Autopack.Executor.Sandbox;

namespace Autopack.Executor.Extensions;

/// <summary>Everything the loop is tuned by: from the variables of <see cref="ExecutorVariables"/> (docs/executor.md), validated at start.</summary>
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
}
