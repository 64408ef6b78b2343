namespace Autopack.Executor.Workspace;

/// <summary>
/// The run's git workspace. The run's result is the branch <c>autopack/&lt;run_id&gt;</c> in the target repository
/// (created from its HEAD, never checked out there, so the user's checkout is never touched). Each phase
/// works in its own detached worktree under <c>&lt;state&gt;/worktrees/&lt;run_id&gt;/&lt;phase_id&gt;</c>, and lands
/// its one commit on the branch with a compare-and-swap ref update, so parallel phases (even in different
/// executor processes) never lose each other's commits. A phase keeps its worktree across its attempts (reset and
/// cleaned before each) and removes it when it ends.
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
        // update-ref with an all-zero old value only creates (HEAD is resolved by git itself): a concurrent creator makes
        // ours fail harmlessly, and only then is the branch looked up again.
        if ((await Git.RunAsync(RepoPath, ["update-ref", BranchRef, "HEAD", new string('0', 40)])).Ok) return;
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

    /// <summary>
    /// The phase's detached worktree at the branch tip, clean, for its next attempt. It is kept across the phase's
    /// attempts: an existing one is reset to the tip (<c>reset --hard</c> + <c>clean -ffdx</c>, so nothing of the last
    /// attempt survives, ignored files included, and a tip moved by a parallel phase is picked up), which on a large
    /// repository costs a fraction of <c>worktree add</c> + <c>worktree remove</c>. A folder that cannot be reused — not a
    /// worktree of this repository, left locked mid-<c>worktree add</c> by a killed executor, a reset git refuses
    /// (a stale <c>index.lock</c>) — is removed and added fresh. The phase removes it once, when it ends.
    /// </summary>
    public async Task<PhaseWorktree> PrepareAsync(string phaseId)
    {
        var path = Path.Combine(RunFolder, phaseId);
        // A test command of an executor killed mid-run may still work in it: kill those before touching the folder.
        Testing.ProcessGroup.KillLeftovers(TestGroupRecord(path), path);
        if (await TryResetAsync(path) is { } reset) return new PhaseWorktree(this, path, reset);
        var tip = await TipAsync();
        using (await LockWorktreesAsync())
        {
            await RemoveWorktreeLockedAsync(path);
            Directory.CreateDirectory(RunFolder);
            // Force twice: a worktree that a killed executor left locked ("initializing", mid `worktree add`) is replaced
            // too; a single --force refuses it, and every later attempt of the phase would fail the same way.
            await Git.RequireAsync(RepoPath, "worktree", "add", "--detach", "--force", "--force", path, tip);
        }
        return new PhaseWorktree(this, path, tip);
    }

    /// <summary>
    /// Resets <paramref name="path"/> to the branch tip if it is a whole, unlocked worktree of this repository; returns
    /// that tip, or null when the folder cannot be reused.
    /// </summary>
    private async Task<string?> TryResetAsync(string path)
    {
        if (!File.Exists(Path.Combine(path, ".git"))) return null; // a linked worktree has a .git file, not a folder
        // Asked from inside: an empty prefix means the folder is a work tree's top level, not a folder within another one.
        // The same git reads the branch tip (refs are shared by every worktree), trusted only once the common dir matches.
        var inside = await Git.RunAsync(path, ["rev-parse", "--show-prefix", "--path-format=absolute", "--git-common-dir", "--git-dir",
            "--verify", "--quiet", BranchRef]);
        var lines = inside.Stdout.Split('\n');
        if (!inside.Ok || lines.Length < 4 || lines[0].Length != 0) return null;
        if (lines[1].Trim() != await CommonDirAsync() || File.Exists(Path.Combine(lines[2].Trim(), "locked"))) return null;
        var tip = lines[3].Trim();
        // reset also drops a cherry-pick a killed executor left half done (CHERRY_PICK_HEAD).
        return (await Git.RunAsync(path, ["reset", "--hard", "--quiet", tip])).Ok
            && (await Git.RunAsync(path, ["clean", "-ffdxq"])).Ok ? tip : null;
    }

    private string? _commonDir;

    private async Task<string> CommonDirAsync() =>
        _commonDir ??= await Git.RequireAsync(RepoPath, "rev-parse", "--path-format=absolute", "--git-common-dir");

    /// <summary>How long a phase waits for other phases' and executors' worktree adds on the same repository.</summary>
    public static readonly TimeSpan WorktreeLockTimeout = TimeSpan.FromMinutes(5);

    private async Task<WorktreeAdminLock> LockWorktreesAsync() =>
        await WorktreeAdminLock.AcquireAsync(await CommonDirAsync(), WorktreeLockTimeout);

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
        if (!Directory.Exists(path) && !File.Exists(TestGroupRecord(path))) return;
        using (await LockWorktreesAsync()) await RemoveWorktreeLockedAsync(path);
    }

    private async Task RemoveWorktreeLockedAsync(string path)
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
