namespace Autopack.Executor.Workspace;

/// <summary>
/// The run's git workspace. The run's result is the branch <c>autopack/&lt;run_id&gt;</c> in the target repository
/// (created from its HEAD, never checked out there, so the user's checkout is never touched). Each phase
/// works in its own detached worktree under <c>&lt;state&gt;/worktrees/&lt;run_id&gt;/&lt;phase_id&gt;</c>, and lands
/// its one commit on the branch with a compare-and-swap ref update, so parallel phases (even in different
/// executor processes) never lose each other's commits.
/// </summary>
public sealed class RunWorkspace(string repoPath, string worktreeRoot, string runId)
{
    public const string TrailerKey = "Autopack-Phase";

    public string RepoPath { get; } = repoPath;
    public string RunId { get; } = runId;
    public string Branch { get; } = "autopack/" + runId;
    public string BranchRef => "refs/heads/" + Branch;
    public string RunFolder { get; } = Path.Combine(worktreeRoot, runId);

    public static string Trailer(string runId, string phaseId) => $"{TrailerKey}: {runId}/{phaseId}";

    /// <summary>Creates the run branch from the repository's HEAD the first time (racing executors: first wins).</summary>
    public async Task EnsureBranchAsync()
    {
        if (!Directory.Exists(RepoPath)) throw new GitException($"Target repository '{RepoPath}' does not exist.");
        if ((await Git.RunAsync(RepoPath, ["rev-parse", "--verify", "--quiet", BranchRef])).Ok) return;
        var head = await Git.RequireAsync(RepoPath, "rev-parse", "--verify", "HEAD");
        // update-ref with an all-zero old value only creates: a concurrent creator makes ours fail harmlessly.
        await Git.RunAsync(RepoPath, ["update-ref", BranchRef, head, new string('0', 40)]);
        await Git.RequireAsync(RepoPath, "rev-parse", "--verify", BranchRef);
    }

    public Task<string> TipAsync() => Git.RequireAsync(RepoPath, "rev-parse", "--verify", BranchRef);

    /// <summary>The commit already on the branch for this phase (a crash after landing, before the database knew), or null.</summary>
    public async Task<string?> FindPhaseCommitAsync(string runId, string phaseId)
    {
        var wanted = $"{runId}/{phaseId}";
        var log = await Git.RunAsync(RepoPath, ["log", BranchRef, $"--format=%H%x1f%(trailers:key={TrailerKey},valueonly,separator=%x1d)%x1e"]);
        if (!log.Ok) return null;
        foreach (var record in log.Stdout.Split('\x1e', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = record.Split('\x1f');
            if (parts.Length == 2 && parts[1].Split('\x1d').Any(v => v.Trim() == wanted)) return parts[0].Trim();
        }
        return null;
    }

    /// <summary>A fresh detached worktree at the branch tip for one attempt (leftovers of a crashed attempt are removed).</summary>
    public async Task<PhaseWorktree> PrepareAsync(string phaseId)
    {
        var path = Path.Combine(RunFolder, phaseId);
        await RemoveWorktreeAsync(path);
        Directory.CreateDirectory(RunFolder);
        var tip = await TipAsync();
        // Force twice: a worktree that a killed executor left locked ("initializing", mid `worktree add`) is replaced
        // too; a single --force refuses it, and every later attempt of the phase would fail the same way.
        await Git.RequireAsync(RepoPath, "worktree", "add", "--detach", "--force", "--force", path, tip);
        return new PhaseWorktree(this, path, tip);
    }

    /// <summary>
    /// Removes the run branch and the run's worktree folder when no phase commit of the run is on the branch (the run
    /// ended without commits). The ref is deleted only if it still points where it was checked, so a commit landing at
    /// the same moment is never lost. True when the branch was removed.
    /// </summary>
    public async Task<bool> RemoveIfEmptyAsync()
    {
        var tip = await Git.RunAsync(RepoPath, ["rev-parse", "--verify", "--quiet", BranchRef]);
        if (!tip.Ok) return false;
        var trailers = await Git.RunAsync(RepoPath, ["log", BranchRef, $"--format=%(trailers:key={TrailerKey},valueonly)"]);
        if (!trailers.Ok || trailers.Stdout.Split('\n').Any(t => t.Trim().StartsWith(RunId + "/", StringComparison.Ordinal))) return false;
        if (!(await Git.RunAsync(RepoPath, ["update-ref", "-d", BranchRef, tip.Stdout.Trim()])).Ok) return false;
        if (Directory.Exists(RunFolder))
        {
            foreach (var worktree in Directory.EnumerateDirectories(RunFolder)) await RemoveWorktreeAsync(worktree);
            Directory.Delete(RunFolder, recursive: true);
        }
        return true;
    }

    /// <summary>Where the test command's process group is recorded while it runs (beside the worktree, not in it).</summary>
    public static string TestGroupRecord(string worktreePath) => worktreePath.TrimEnd('/') + ".test-pgid";

    public async Task RemoveWorktreeAsync(string path)
    {
        // A test command of an executor killed mid-run may still work in it: kill those before reusing the folder.
        Testing.ProcessGroup.KillLeftovers(TestGroupRecord(path), path);
        if (!Directory.Exists(path)) return;
        await Git.RunAsync(RepoPath, ["worktree", "remove", "--force", "--force", path]);
        if (Directory.Exists(path))
        {
            // Leftover of a crash that git no longer knows about. Prune only here: pruning while another
            // executor is creating its worktree could drop that one's metadata.
            Directory.Delete(path, recursive: true);
            await Git.RunAsync(RepoPath, ["worktree", "prune"]);
        }
    }
}
