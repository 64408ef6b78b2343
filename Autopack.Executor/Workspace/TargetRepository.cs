namespace Autopack.Executor.Workspace;

/// <summary>
/// What the executor can tell about a run's target repository before touching it. A path that is missing, relative,
/// or not the top level of a git work tree with a commit is a NO_REPOSITORY failure at once: retrying cannot fix it.
/// </summary>
public static class TargetRepository
{
    /// <summary>Why <paramref name="path"/> cannot be worked in, or null when it can.</summary>
    public static async Task<string?> ProblemAsync(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "the run has no repo_path and the executor has no TARGET_REPO_PATH";
        if (!Path.IsPathFullyQualified(path)) return $"repo_path '{path}' is not an absolute path";
        var full = Path.GetFullPath(path).TrimEnd('/');
        if (!Directory.Exists(full)) return $"repo_path '{path}' does not exist on the executor";
        // One git for both questions: the top level is printed first; a HEAD that names no commit exits 1 after it.
        var top = await Git.RunAsync(full, ["rev-parse", "--show-toplevel", "--verify", "--quiet", "HEAD^{commit}"]);
        var lines = top.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (top.ExitCode is not (0 or 1) || lines.Length == 0) return $"repo_path '{path}' is not a git repository: {top.Output}";
        var root = Path.GetFullPath(lines[0]).TrimEnd('/');
        if (root != full && ResolveLinks(root) != ResolveLinks(full))
            return $"repo_path '{path}' lies inside the git repository '{root}' but is not its top level";
        if (!top.Ok || lines.Length < 2)
            return $"repo_path '{path}' has no commit to start the run branch from";
        return null;
    }

    private static string ResolveLinks(string path) =>
        new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName.TrimEnd('/') ?? path;
}
