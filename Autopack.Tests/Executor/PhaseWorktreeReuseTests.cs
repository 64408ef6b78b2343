using System.Diagnostics;
using Autopack.Core.Domain;
using Autopack.Executor.Patching;
using Autopack.Executor.Testing;
using Autopack.Executor.Workspace;
using Autopack.Tests.Infrastructure;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>
/// A phase keeps its worktree across attempts (reset to the run branch tip and cleaned) instead of adding and removing
/// one per attempt. Reuse must be invisible: nothing of the last attempt survives, a tip moved by a parallel phase is
/// picked up, leftovers of a killed executor are dealt with, and a folder that is not a sound worktree is replaced.
/// </summary>
[Trait("Category", "Process")]
public class PhaseWorktreeReuseTests(ITestOutputHelper output)
{
    private const string NotesChange = "--- a/notes/todo.txt\n+++ b/notes/todo.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";

    [Fact]
    public async Task The_next_attempt_reuses_the_worktree_from_a_clean_tree_at_the_tip_a_parallel_phase_moved()
    {
        using var repo = TargetRepo.Create(new Dictionary<string, string>
        {
            ["greet.sh"] = "#!/bin/sh\necho \"Hello, World\"\n", ["notes/todo.txt"] = "one\ntwo\nthree\n", [".gitignore"] = "build/\n",
        });
        var ws = new RunWorkspace(repo.Path, Directory.CreateTempSubdirectory("autopack-wt-").FullName, "run-1");
        await ws.EnsureBranchAsync();
        var first = await ws.PrepareAsync("P1");
        // A marker in the worktree's git admin folder: `worktree remove` deletes that folder, so it survives only a reuse.
        var admin = await Git.RequireAsync(first.Path, "rev-parse", "--path-format=absolute", "--git-dir");
        File.WriteAllText(Path.Combine(admin, "reuse-marker"), "attempt 1");

        // Attempt 1 leaves everything an attempt can: a tracked edit, a staged new file, untracked and ignored files,
        // and a new folder.
        await PatchApplier.ApplyAsync(first.Path, UnifiedDiff.Parse("--- a/greet.sh\n+++ b/greet.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo \"Hello, World\"\n+echo \"Hello, Wrong\"\n"), default);
        File.WriteAllText(Path.Combine(first.Path, "staged.txt"), "staged\n");
        await Git.RequireAsync(first.Path, "add", "staged.txt");
        File.WriteAllText(Path.Combine(first.Path, "stray.txt"), "untracked\n");
        Directory.CreateDirectory(Path.Combine(first.Path, "build", "obj"));
        File.WriteAllText(Path.Combine(first.Path, "build", "obj", "out.o"), "ignored\n");
        Directory.CreateDirectory(Path.Combine(first.Path, "new", "deep"));
        File.WriteAllText(Path.Combine(first.Path, "new", "deep", "file.txt"), "new\n");

        // Meanwhile a parallel phase lands, moving the run branch.
        var other = await ws.PrepareAsync("P2");
        await PatchApplier.ApplyAsync(other.Path, UnifiedDiff.Parse(NotesChange), default);
        var landed = await other.CommitAndLandAsync("run-1", "P2", "P2: notes", "body", default);

        var second = await ws.PrepareAsync("P1");
        Assert.Equal(first.Path, second.Path);
        Assert.True(File.Exists(Path.Combine(admin, "reuse-marker")), "the worktree was removed and added again instead of reused");
        Assert.Equal(landed, second.BaseCommit);
        Assert.Equal(landed, await Git.RequireAsync(second.Path, "rev-parse", "HEAD"));
        Assert.Equal("", await Git.RequireAsync(second.Path, "status", "--porcelain", "--ignored"));
        Assert.Equal([".git", ".gitignore", "greet.sh", "notes"], Directory.EnumerateFileSystemEntries(second.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("Hello, World", File.ReadAllText(Path.Combine(second.Path, "greet.sh")));
        Assert.Contains("TWO", File.ReadAllText(Path.Combine(second.Path, "notes", "todo.txt")));

        // Attempt 2 lands on top of the parallel phase without a replay.
        await PatchApplier.ApplyAsync(second.Path, UnifiedDiff.ParseResponse(PatchingTests.GreetFix), default);
        var sha = await second.CommitAndLandAsync("run-1", "P1", "P1: greeting", "body", default);
        Assert.Equal(["P1: greeting", "P2: notes"], repo.Log("autopack/run-1"));
        Assert.Equal(landed, repo.Git("rev-parse", sha + "^"));
        Assert.Equal(["greet.sh"], repo.Git("show", "--format=", "--name-only", sha).Split('\n'));
    }

    [Fact]
    public async Task A_test_process_a_killed_executor_left_in_the_worktree_is_killed_before_the_worktree_is_reused()
    {
        using var repo = TargetRepo.CreateGreeting();
        var ws = new RunWorkspace(repo.Path, Directory.CreateTempSubdirectory("autopack-wt-").FullName, "run-1");
        await ws.EnsureBranchAsync();
        var first = await ws.PrepareAsync("P1");
        // What an executor killed mid-test leaves: its test command's process group still running in the worktree,
        // writing files, and the group recorded beside the worktree.
        var leftover = Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", "while true; do echo x >> busy.log; sleep 0.05; done"])
            { WorkingDirectory = first.Path })!;
        ProcessGroup.Record(RunWorkspace.TestGroupRecord(first.Path), leftover.Id);
        await Eventually.UntilAsync("the leftover writing busy.log", () => File.Exists(Path.Combine(first.Path, "busy.log")), TimeSpan.FromSeconds(10),
            interval: TimeSpan.FromMilliseconds(20));

        var second = await ws.PrepareAsync("P1");
        Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(10)), "the leftover test process is still running");
        Assert.False(File.Exists(RunWorkspace.TestGroupRecord(first.Path)));
        await Task.Delay(200); // had it survived, it would write busy.log again within 50 ms
        Assert.Equal("", await Git.RequireAsync(second.Path, "status", "--porcelain", "--ignored"));
    }

    [Fact]
    public async Task A_folder_that_is_not_a_sound_worktree_of_the_repository_is_replaced_by_a_fresh_one()
    {
        using var repo = TargetRepo.CreateGreeting();
        using var foreign = TargetRepo.CreateGreeting();
        var ws = new RunWorkspace(repo.Path, Directory.CreateTempSubdirectory("autopack-wt-").FullName, "run-1");
        await ws.EnsureBranchAsync();
        var tip = await ws.TipAsync();
        var path = Path.Combine(ws.RunFolder, "P1");

        // A plain folder git no longer knows (its worktree was pruned), with a stray file.
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "stray.txt"), "x");
        await AssertFreshAsync(await ws.PrepareAsync("P1"));

        // A worktree of another repository at that path.
        await Git.RequireAsync(repo.Path, "worktree", "remove", "--force", path);
        await Git.RequireAsync(foreign.Path, "worktree", "add", "--detach", path);
        await AssertFreshAsync(await ws.PrepareAsync("P1"));

        // A stale index.lock of a git killed mid-command: the reset fails, so the worktree is replaced.
        var admin = await Git.RequireAsync(path, "rev-parse", "--path-format=absolute", "--git-dir");
        File.WriteAllText(Path.Combine(path, "stray.txt"), "x");
        File.WriteAllText(Path.Combine(admin, "index.lock"), "");
        await AssertFreshAsync(await ws.PrepareAsync("P1"));

        async Task AssertFreshAsync(PhaseWorktree worktree)
        {
            Assert.Equal(tip, await Git.RequireAsync(worktree.Path, "rev-parse", "HEAD"));
            Assert.Equal(Path.Combine(repo.Path, ".git"), await Git.RequireAsync(worktree.Path, "rev-parse", "--path-format=absolute", "--git-common-dir"));
            Assert.Equal("", await Git.RequireAsync(worktree.Path, "status", "--porcelain", "--ignored"));
        }
    }

    [Fact]
    public async Task In_the_loop_a_retry_starts_in_the_same_worktree_without_the_failed_attempts_files_and_it_is_removed_when_the_phase_ends()
    {
        var reusedOnAttempt2 = false;
        string? admin = null;
        string? worktree = null;
        var builderCalls = 0;
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r =>
        {
            if (r.Role == "auditor") return ModelScript.Approve;
            // The worktree exists while the builder is asked: mark its admin folder on attempt 1, look for the mark on 2.
            if (++builderCalls == 1)
            {
                admin = Git.RequireAsync(worktree!, "rev-parse", "--path-format=absolute", "--git-dir").GetAwaiter().GetResult();
                File.WriteAllText(Path.Combine(admin, "reuse-marker"), "attempt 1");
                return new ScriptedAnswer(ModelScript.Diff("greet.sh", "echo \"Hello, World\"", "echo \"Hello, Wrong\""));
            }
            reusedOnAttempt2 = File.Exists(Path.Combine(admin!, "reuse-marker"));
            return new ScriptedAnswer(ModelScript.GreetFix);
        });
        worktree = Path.Combine(h.Options.WorktreeRoot, "run-reuse", "P1");
        // The test command leaves build.log behind when it fails; a leftover one makes the next run exit 3.
        await h.SeedAsync("run-reuse", new PhaseSpec("P1", "T1", ["greet.sh"],
            TestCommand: "[ ! -e build.log ] || { echo 'left over: build.log'; exit 3; }; echo built > build.log; sh test.sh && rm build.log"));
        h.Start();
        await h.WaitForRunAsync("run-reuse", RunState.Complete);

        var attempts = await h.AttemptsAsync("run-reuse", "P1");
        Assert.Equal([("FAILED", "CI_FAILED", (int?)1), ("SUCCEEDED", null, 0)], attempts.Select(a => (a.Outcome, a.FailureReason, a.TestExitCode)));
        Assert.True(reusedOnAttempt2, "attempt 2 did not work in attempt 1's worktree");
        var commit = Assert.Single(await h.PhasesAsync("run-reuse")).CommitSha!;
        Assert.Equal(["greet.sh"], h.Repo.Git("show", "--format=", "--name-only", commit).Split('\n'));
        await h.WaitForAsync(async _ => { await Task.Yield(); return !Directory.Exists(worktree); }, what: "the worktree removed when the phase ended");
        Assert.DoesNotContain(worktree, h.Repo.Git("worktree", "list"));
    }
}
