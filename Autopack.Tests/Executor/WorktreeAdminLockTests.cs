using System.Diagnostics;
using Autopack.Executor.Workspace;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Executor;

/// <summary>
/// git's worktree administration is not safe against a concurrent <c>worktree add</c> on the same repository: a second
/// add reads the first one's half-written <c>commondir</c> and dies (seen in CI with two executors on one repository).
/// Executors serialize it with a kernel lock in the repository's git folder.
/// </summary>
public class WorktreeAdminLockTests
{
    [Fact]
    public async Task A_worktree_add_waits_for_another_executors_add_in_progress_instead_of_failing_on_its_half_written_admin_folder()
    {
        using var repo = TargetRepo.Create(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        var ws = new RunWorkspace(repo.Path, Directory.CreateTempSubdirectory("autopack-wt-").FullName, "run-1");
        await ws.EnsureBranchAsync();
        var commonDir = await Git.RequireAsync(repo.Path, "rev-parse", "--path-format=absolute", "--git-common-dir");

        // Another executor is mid `worktree add`: it holds the lock, and git has created its commondir file but not
        // written it yet — the exact state in which an unserialized add dies with "failed to read …/commondir".
        var other = Path.Combine(commonDir, "worktrees", "OTHER");
        var held = await WorktreeAdminLock.AcquireAsync(commonDir, TimeSpan.FromSeconds(5));
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "gitdir"), Path.Combine(Path.GetTempPath(), "elsewhere", ".git") + "\n");
        File.WriteAllText(Path.Combine(other, "commondir"), "");

        var prepare = ws.PrepareAsync("P1");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(prepare.IsCompleted, prepare.Exception?.GetBaseException().Message ?? "PrepareAsync finished while another add held the lock");

        File.WriteAllText(Path.Combine(other, "commondir"), "../..\n"); // the other add finishes its admin folder
        held.Dispose();
        var worktree = await prepare;
        Assert.Equal("", await Git.RequireAsync(worktree.Path, "status", "--porcelain"));
    }

    [Fact]
    public async Task The_lock_is_shared_with_other_processes_and_freed_when_its_holder_dies()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-lock-").FullName;
        // flock(1) takes the same advisory lock another executor process would.
        using var holder = Process.Start(new ProcessStartInfo("flock", [Path.Combine(dir, WorktreeAdminLock.FileName), "sh", "-c", "echo held; exec sleep 60"])
        {
            RedirectStandardOutput = true,
        })!;
        Assert.Equal("held", await holder.StandardOutput.ReadLineAsync()); // printed only once the lock is taken

        var refused = await Assert.ThrowsAsync<GitException>(() => WorktreeAdminLock.AcquireAsync(dir, TimeSpan.FromMilliseconds(300)));
        Assert.Contains("held by another executor", refused.Message);

        holder.Kill(entireProcessTree: true);
        await holder.WaitForExitAsync();
        using var mine = await WorktreeAdminLock.AcquireAsync(dir, TimeSpan.FromSeconds(5));
    }
}
