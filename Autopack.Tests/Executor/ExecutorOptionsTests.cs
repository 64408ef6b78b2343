using Autopack.Core.Outbox;
using Autopack.Executor.Extensions;
using Autopack.Executor.Sandbox;
using Microsoft.Extensions.Configuration;

namespace Autopack.Tests.Executor;

/// <summary>The executor's variables are bound and validated once at start (<see cref="ExecutorServiceExtensions.ReadOptions"/>).</summary>
[Trait("Category", "Unit")]
public class ExecutorOptionsTests
{
    private static readonly string StateRoot = Path.Combine(Path.GetTempPath(), "autopack-options-test");

    private static ExecutorOptions Read(Dictionary<string, string?> variables, bool isProduction = false) =>
        ExecutorServiceExtensions.ReadOptions(new ConfigurationBuilder().AddInMemoryCollection(variables).Build(), StateRoot, isProduction);

    [Fact]
    public void Every_variable_reaches_its_option_in_its_unit()
    {
        var o = Read(new()
        {
            ["AUTOPACK_EXECUTOR_ID"] = "exec-a", ["TARGET_REPO_PATH"] = "/tmp/target", ["AUTOPACK_EXECUTOR_SLOTS"] = "3",
            ["AUTOPACK_MAX_PARALLEL_PHASES"] = "4", ["AUTOPACK_POLL_INTERVAL_MS"] = "250", ["AUTOPACK_LEASE_SECONDS"] = "7",
            ["AUTOPACK_PHASE_TIMEOUT_MINUTES"] = "9", ["AUTOPACK_TEST_TIMEOUT_SECONDS"] = "11", ["AUTOPACK_TEST_OUTPUT_MAX_CHARS"] = "900",
            ["AUTOPACK_PHASE_TOKEN_CAP"] = "5000", ["AUTOPACK_MAX_OUTPUT_TOKENS"] = "128", ["AUTOPACK_MAX_OUTPUT_TOKENS_CAP"] = "256",
            ["AUTOPACK_PROMPT_MAX_CHARS"] = "3000", ["AUTOPACK_PROTECTED_PATHS"] = "a.txt, b/", ["AUTOPACK_APPROVAL_DELETION_LINES"] = "0",
            ["AUTOPACK_APPROVAL_TTL_MINUTES"] = "2", ["AUTOPACK_ENABLE_MEMORY"] = "false", ["AUTOPACK_QDRANT_COLLECTION"] = "mem",
            ["AUTOPACK_EMBEDDINGS"] = "compat:nomic", ["AUTOPACK_API_URL"] = "http://127.0.0.1:9/", ["AUTOPACK_MAX_EXECUTOR_ERRORS"] = "6",
            ["AUTOPACK_ERROR_BACKOFF_SECONDS"] = "3", ["AUTOPACK_KEEP_EMPTY_BRANCHES"] = "1",
            ["AUTOPACK_SANDBOX"] = "OFF", ["AUTOPACK_SANDBOX_BWRAP"] = "/opt/bwrap", ["AUTOPACK_SANDBOX_NETWORK"] = "all",
            ["AUTOPACK_SANDBOX_MEMORY_MB"] = "128", ["AUTOPACK_SANDBOX_MAX_PROCESSES"] = "32", ["AUTOPACK_SANDBOX_MAX_FILE_MB"] = "2",
            ["AUTOPACK_SANDBOX_MAX_OUTPUT_MB"] = "3", ["AUTOPACK_SANDBOX_ENV"] = "FOO, BAR", ["AUTOPACK_SANDBOX_HIDE"] = "/srv/secret",
        });
        Assert.Equal(("exec-a", "/tmp/target", Path.Combine(StateRoot, "worktrees")), (o.WorkerId, o.TargetRepoPath, o.WorktreeRoot));
        Assert.Equal((3, 4, 900, 5000L, 128, 256, 3000, 0, 6), (o.Slots, o.MaxParallelPhasesPerRun, o.TestOutputMaxChars, o.PhaseTokenCap,
            o.MaxOutputTokens, o.MaxOutputTokensCap, o.PromptMaxChars, o.DeletionApprovalLines, o.MaxErrorReleases));
        Assert.Equal((TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(7), TimeSpan.FromMinutes(9), TimeSpan.FromSeconds(11), TimeSpan.FromMinutes(2)),
            (o.PollInterval, o.Lease, o.PhaseTimeout, o.TestTimeout, o.ApprovalTtl));
        Assert.Equal(["a.txt", "b/"], o.ProtectedPaths);
        Assert.Equal((false, "mem", "compat:nomic", "http://127.0.0.1:9/", true), (o.MemoryEnabled, o.QdrantCollection, o.EmbeddingModel, o.ApiUrl?.ToString(), o.KeepEmptyBranches));
        Assert.Equal(new BackoffPolicy(TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2), 0.2), o.ErrorBackoff);
        var s = o.Sandbox;
        Assert.Equal((SandboxMode.Off, "/opt/bwrap", SandboxNetworkPolicy.All), (s.Mode, s.BwrapPath, s.Network));
        Assert.Equal((128L << 20, 32, 2L << 20, 3L << 20), (s.MemoryBytes, s.MaxProcesses, s.MaxFileBytes, s.MaxOutputBytes));
        Assert.Equal(["FOO", "BAR"], s.ExtraEnvironment);
        Assert.Equal(["/srv/secret"], s.HiddenPaths);
    }

    [Fact]
    public void Unset_and_empty_variables_keep_the_defaults()
    {
        var defaults = new ExecutorOptions { WorktreeRoot = Path.Combine(StateRoot, "worktrees") };
        foreach (var o in new[] { Read([]), Read(new() { ["AUTOPACK_EXECUTOR_SLOTS"] = "", ["AUTOPACK_LEASE_SECONDS"] = "", ["AUTOPACK_SANDBOX_MEMORY_MB"] = "" }) })
        {
            Assert.Equal(defaults with { WorkerId = o.WorkerId, ProtectedPaths = o.ProtectedPaths, Sandbox = o.Sandbox }, o);
            Assert.Empty(o.ProtectedPaths);
            Assert.Equal(new SandboxOptions(), o.Sandbox with { ExtraEnvironment = [], HiddenPaths = [] });
            Assert.StartsWith(Environment.MachineName + "-" + Environment.ProcessId + "-", o.WorkerId);
        }
        Assert.Equal(SandboxMode.Required, Read([], isProduction: true).Sandbox.Mode);
    }

    [Fact]
    public void Every_wrong_value_is_named_together_before_the_executor_starts()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Read(new()
        {
            ["AUTOPACK_EXECUTOR_SLOTS"] = "0", ["AUTOPACK_POLL_INTERVAL_MS"] = "49", ["AUTOPACK_LEASE_SECONDS"] = "1",
            ["AUTOPACK_MAX_OUTPUT_TOKENS"] = "4096", ["AUTOPACK_MAX_OUTPUT_TOKENS_CAP"] = "64", ["AUTOPACK_API_URL"] = "not a url",
            ["AUTOPACK_SANDBOX"] = "sometimes", ["AUTOPACK_SANDBOX_MEMORY_MB"] = "63", ["AUTOPACK_SANDBOX_NETWORK"] = "maybe",
        }));
        Assert.Equal(string.Join(Environment.NewLine,
            "Executor configuration is invalid:",
            " - AUTOPACK_EXECUTOR_SLOTS='0' must be an integer ≥ 1.",
            " - AUTOPACK_POLL_INTERVAL_MS='49' must be an integer ≥ 50.",
            " - AUTOPACK_LEASE_SECONDS='1' must be an integer ≥ 2.",
            " - AUTOPACK_API_URL='not a url' is not an absolute URL.",
            " - AUTOPACK_MAX_OUTPUT_TOKENS_CAP must be ≥ AUTOPACK_MAX_OUTPUT_TOKENS.",
            " - AUTOPACK_SANDBOX_MEMORY_MB='63' must be an integer ≥ 64.",
            " - AUTOPACK_SANDBOX='sometimes' must be required, auto or off.",
            " - AUTOPACK_SANDBOX_NETWORK='maybe' must be opt-in, deny or all."), ex.Message);
    }

    [Fact]
    public void A_value_that_is_not_a_number_is_refused_naming_the_variable()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Read(new() { ["AUTOPACK_LEASE_SECONDS"] = "thirty", ["AUTOPACK_SANDBOX_MAX_FILE_MB"] = "0" }));
        Assert.StartsWith("Executor configuration is invalid:" + Environment.NewLine + " - ", ex.Message);
        Assert.Contains("'thirty' at 'AUTOPACK_LEASE_SECONDS'", ex.Message);
        Assert.EndsWith(" - AUTOPACK_SANDBOX_MAX_FILE_MB='0' must be an integer ≥ 1.", ex.Message);
    }
}
