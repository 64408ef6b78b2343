using System.Diagnostics;

namespace Autopack.Executor.Workspace;

/// <summary>
/// Serializes git's worktree administration (<c>worktree add</c>, <c>remove</c>, <c>prune</c>) on one repository, across
/// the threads of an executor and across executor processes. git does not: while one <c>worktree add</c> is writing
/// <c>.git/worktrees/&lt;id&gt;/commondir</c> (created empty, then written), another <c>worktree add</c> that lists the
/// worktrees reads it empty and dies with "failed to read …/commondir". The lock is an advisory <c>flock</c> on a file in
/// the repository's common git directory (.NET takes one for <see cref="FileShare.None"/>), so the kernel releases it
/// when its holder dies: a killed executor never leaves the repository locked.
/// </summary>
public sealed class WorktreeAdminLock : IDisposable
{
    public const string FileName = "autopack-worktrees.lock";
    private readonly FileStream _file;

    private WorktreeAdminLock(FileStream file) => _file = file;

    public static async Task<WorktreeAdminLock> AcquireAsync(string gitCommonDir, TimeSpan timeout, CancellationToken ct = default)
    {
        var path = Path.Combine(gitCommonDir, FileName);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new WorktreeAdminLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && e is not FileNotFoundException)
            {
                // Held by another phase or executor: a worktree add takes seconds even on a large repository.
                if (waited.Elapsed >= timeout)
                    throw new GitException($"The worktree lock '{path}' has been held by another executor for over {timeout.TotalSeconds:0} s.");
                await Task.Delay(TimeSpan.FromMilliseconds(25), ct);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
