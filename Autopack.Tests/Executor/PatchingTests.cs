using Autopack.Executor.Patching;
using Autopack.Executor.Workspace;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Executor;

[Trait("Category", "Unit")]
public class PatchingTests
{
    public const string GreetFix = """
        Here is the change.
        ```diff
        --- a/greet.sh
        +++ b/greet.sh
        @@ -1,2 +1,2 @@
         #!/bin/sh
        -echo "Hello, World"
        +echo "Hello, Autopack"
        ```
        """;

    [Fact]
    public void Parses_one_fenced_unified_diff_and_counts_lines()
    {
        var diff = UnifiedDiff.ParseResponse(GreetFix);
        var file = Assert.Single(diff.Files);
        Assert.Equal(("greet.sh", "greet.sh", 1, 1), (file.OldPath, file.NewPath, file.Added, file.Removed));
    }

    [Theory]
    [InlineData("no fences at all", "No ```diff fenced block")]
    [InlineData("```diff\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n```", "hunk")]
    [InlineData("```diff\n--- a/x\n+++ b/x\n```", "no @@ hunk")]
    [InlineData("```diff\n--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n```", "without '..'")]
    [InlineData("```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\n```diff\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n```", "2 ```diff blocks")]
    [InlineData("```diff\n+++ b/x\n--- a/x\n@@ -1 +1 @@\n-a\n+b\n```", "expected a file header")]
    public void Malformed_answers_are_rejected_with_a_message_for_the_model(string response, string expected)
    {
        var ex = Assert.Throws<DiffFormatException>(() => UnifiedDiff.ParseResponse(response));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Scope_governor_forbids_git_and_protected_paths_and_asks_for_out_of_scope_or_large_deletions()
    {
        var governor = new ScopeGovernor([".github/workflows"], deletionApprovalLines: 2);
        ParsedDiff Diff(string path, int removed = 1) => UnifiedDiff.Parse(
            $"--- a/{path}\n+++ b/{path}\n@@ -1,{removed} +1 @@\n" + string.Concat(Enumerable.Range(0, removed).Select(i => $"-l{i}\n")) + "+x\n");

        Assert.Equal(ScopeVerdict.Allowed, governor.Evaluate(Diff("src/a.txt"), ["src"]).Verdict);
        Assert.Equal(ScopeVerdict.Forbidden, governor.Evaluate(Diff(".git/config"), []).Verdict);
        Assert.Equal(ScopeVerdict.Forbidden, governor.Evaluate(Diff(".github/workflows/ci.yml"), [".github"]).Verdict);
        var outside = governor.Evaluate(Diff("other.txt"), ["src"]);
        Assert.Equal(ScopeVerdict.NeedsApproval, outside.Verdict);
        Assert.Equal(["other.txt"], outside.Paths);
        var big = governor.Evaluate(Diff("src/a.txt", removed: 3), ["src"]);
        Assert.True(big is { Verdict: ScopeVerdict.NeedsApproval, LargeDeletion: true });
    }

    [Fact]
    public async Task Workspace_lands_one_commit_per_phase_with_a_trailer_and_replays_over_a_parallel_landing()
    {
        using var repo = TargetRepo.CreateGreeting();
        var root = Directory.CreateTempSubdirectory("autopack-wt-").FullName;
        var ws = new RunWorkspace(repo.Path, root, "run-1");
        await ws.EnsureBranchAsync();
        var userHead = repo.Git("rev-parse", "HEAD");

        var a = await ws.PrepareAsync("P1");
        var b = await ws.PrepareAsync("P2");
        await PatchApplier.ApplyAsync(a.Path, UnifiedDiff.ParseResponse(GreetFix), default);
        await PatchApplier.ApplyAsync(b.Path, UnifiedDiff.Parse("--- a/notes/todo.txt\n+++ b/notes/todo.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"), default);
        var shaA = await a.CommitAndLandAsync("run-1", "P1", "P1: greeting", "body", default);
        var shaB = await b.CommitAndLandAsync("run-1", "P2", "P2: notes", "body", default); // branch moved: replayed

        Assert.Equal(["P2: notes", "P1: greeting"], repo.Log("autopack/run-1"));
        Assert.Equal(shaB, await ws.TipAsync());
        Assert.Equal(shaA, await ws.FindPhaseCommitAsync("run-1", "P1"));
        Assert.Equal(shaB, await ws.FindPhaseCommitAsync("run-1", "P2"));
        Assert.Null(await ws.FindPhaseCommitAsync("run-1", "P"));
        Assert.Contains("Hello, Autopack", repo.Show("autopack/run-1", "greet.sh"));
        // The user's checkout is untouched.
        Assert.Equal(userHead, repo.Git("rev-parse", "HEAD"));
        Assert.Equal("main", repo.Git("rev-parse", "--abbrev-ref", "HEAD"));
        Assert.Contains("Hello, World", File.ReadAllText(Path.Combine(repo.Path, "greet.sh")));

        // An executor that lost its lease and finishes anyway cannot land the same phase twice.
        var late = await ws.PrepareAsync("P1-late");
        await PatchApplier.ApplyAsync(late.Path, UnifiedDiff.Parse("--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# target\n+# late\n"), default);
        Assert.Equal(shaA, await late.CommitAndLandAsync("run-1", "P1", "P1: greeting again", "body", default));
        Assert.Equal(2, repo.Log("autopack/run-1").Count);

        // A patch that does not fit the file is rejected whole and changes nothing, also where an earlier hunk would fit.
        var c = await ws.PrepareAsync("P3");
        var ex = await Assert.ThrowsAsync<PatchApplyException>(() => PatchApplier.ApplyAsync(c.Path,
            UnifiedDiff.Parse("--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# target\n+# fits\n"
                + "--- a/greet.sh\n+++ b/greet.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo nope\n+echo x\n"), default));
        Assert.Contains("git apply rejected the patch (nothing was changed)", ex.Message);
        Assert.Contains("greet.sh", ex.Message);
        Assert.Equal("", await c.DiffAsync());
    }

    [Fact]
    public async Task A_worktree_left_locked_and_half_made_by_a_killed_executor_does_not_block_the_next_attempt()
    {
        using var repo = TargetRepo.CreateGreeting();
        var root = Directory.CreateTempSubdirectory("autopack-wt-").FullName;
        var ws = new RunWorkspace(repo.Path, root, "run-1");
        await ws.EnsureBranchAsync();
        var first = await ws.PrepareAsync("P1");

        // What kill -9 during `git worktree add` (or in the middle of a checkout) leaves: the admin folder still
        // locked "initializing", an index.lock, and the directory gone or half written.
        var admin = Path.Combine(repo.Path, ".git", "worktrees", "P1");
        Assert.True(Directory.Exists(admin));
        File.WriteAllText(Path.Combine(admin, "locked"), "initializing");
        File.WriteAllText(Path.Combine(admin, "index.lock"), "");
        Directory.Delete(first.Path, recursive: true);

        var again = await ws.PrepareAsync("P1");
        Assert.True(File.Exists(Path.Combine(again.Path, "greet.sh")));
        await PatchApplier.ApplyAsync(again.Path, UnifiedDiff.ParseResponse(GreetFix), default);
        await again.CommitAndLandAsync("run-1", "P1", "P1: greeting", "body", default);
        Assert.Equal(["P1: greeting"], repo.Log("autopack/run-1"));

        // Also when the directory is still there, locked.
        File.WriteAllText(Path.Combine(repo.Path, ".git", "worktrees", "P1", "locked"), "initializing");
        var third = await ws.PrepareAsync("P1");
        Assert.True(File.Exists(Path.Combine(third.Path, "greet.sh")));
    }
}
