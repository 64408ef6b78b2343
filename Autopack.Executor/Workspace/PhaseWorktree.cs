namespace Autopack.Executor.Workspace;

/// <summary>One attempt's checkout: apply the patch here, run the tests here, commit here, then land on the run branch.</summary>
public sealed class PhaseWorktree(RunWorkspace workspace, string path, string baseCommit)
{
    public string Path { get; } = path;
    public string BaseCommit { get; } = baseCommit;

    private bool _staged;

    /// <summary>
    /// Everything the attempt changed, new files included. They are staged for the diff, and the commit that follows
    /// (the quality gate's last step, nothing writes to the worktree in between) takes that index as it is: a second
    /// <c>add -A</c> would walk every file of a large repository again.
    /// </summary>
    public async Task<string> DiffAsync()
    {
        await Git.RequireAsync(Path, "add", "-A");
        _staged = true;
        return (await Git.RunAsync(Path, ["diff", "--cached", "HEAD"])).Stdout;
    }

    /// <summary>
    /// Commits everything (one commit per phase, with the phase trailer) and moves the run branch to it with
    /// <c>git update-ref new old</c>; if another phase landed first, the commit is cherry-picked onto the new tip
    /// and the swap retried. Returns the landed commit sha (an earlier one if this phase had already landed).
    /// </summary>
    public async Task<string> CommitAndLandAsync(string runId, string phaseId, string title, string body, CancellationToken ct)
    {
        if (!_staged) await Git.RequireAsync(Path, "add", "-A");
        var message = $"{title}\n\n{body.Trim()}\n\n{RunWorkspace.Trailer(runId, phaseId)}\n";
        // No automatic maintenance: every commit would start one more git (`maintenance run --auto`) only to find
        // nothing to do; the repository's own git commands keep it packed.
        var commit = await Git.RunAsync(Path, ["-c", "maintenance.auto=false", "commit", "--allow-empty", "--no-verify", "-F", "-"], message, ct);
        if (!commit.Ok) throw new GitException("git commit failed: " + commit.Output);
        var sha = await Git.RequireAsync(Path, "rev-parse", "HEAD");
        var expected = BaseCommit;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            // Idempotent per phase: if this phase already landed (an executor that lost its lease finished
            // anyway), keep that commit. Checked before every swap, and swaps are serialized by git, so a
            // phase can never land twice.
            if (await workspace.FindPhaseCommitAsync(runId, phaseId) is { } landed) return landed;
            // Each git step runs to its end (a killed cherry-pick leaves the worktree half-replayed); ct is checked between attempts.
            var swap = await Git.RunAsync(workspace.RepoPath, ["update-ref", workspace.BranchRef, sha, expected], ct: CancellationToken.None);
            if (swap.Ok) return sha;
            var tip = await workspace.TipAsync();
            if (tip == sha) return sha;
            // The branch moved (a parallel phase landed): replay our commit on top of it.
            await Git.RequireAsync(Path, "checkout", "--detach", "--force", tip);
            var pick = await Git.RunAsync(Path, ["cherry-pick", "--allow-empty", "--keep-redundant-commits", sha], ct: CancellationToken.None);
            if (!pick.Ok)
            {
                await Git.RunAsync(Path, ["cherry-pick", "--abort"], ct: CancellationToken.None);
                throw new GitException($"Could not replay the phase commit onto the run branch: {pick.Output}");
            }
            sha = await Git.RequireAsync(Path, "rev-parse", "HEAD");
            expected = tip;
            await Task.Delay(Random.Shared.Next(10, 60), ct);
        }
        throw new GitException("The run branch kept moving; could not land the phase commit.");
    }
}
