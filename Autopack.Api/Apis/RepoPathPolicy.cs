namespace Autopack.Api.Apis;

/// <summary>
/// What a run's <c>repo_path</c> may be: an absolute path without <c>..</c> segments, stored in its normal form
/// (no <c>.</c> segments, repeated or trailing slashes) and, when <c>AUTOPACK_REPO_ROOTS</c> is set, inside one of
/// those roots. The API checks the text only: the repository may live on the executors' machines, not on the
/// API's, so existence is the executor's check (it fails the phase with NO_REPOSITORY).
/// </summary>
public sealed class RepoPathPolicy
{
    public IReadOnlyList<string> Roots { get; }

    public RepoPathPolicy(string? roots)
    {
        if (RootsProblem(roots) is { } problem) throw new ArgumentException(problem);
        Roots = Split(roots).Select(root => { _ = Normalize(root, out var normal); return normal!; }).ToList();
    }

    /// <summary>Why the roots (<c>AUTOPACK_REPO_ROOTS</c>) cannot be used, naming the first wrong one; null when they can.</summary>
    public static string? RootsProblem(string? roots) =>
        Split(roots).Select(root => Normalize(root, out _) is { } problem ? $"AUTOPACK_REPO_ROOTS: '{root}' {problem}." : null).FirstOrDefault(p => p is not null);

    private static string[] Split(string? roots) => (roots ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Why <paramref name="path"/> is not allowed (null when it is), with its normal form in <paramref name="normal"/>.</summary>
    public string? Check(string path, out string? normal)
    {
        if (Normalize(path, out normal) is { } problem) return problem;
        var candidate = normal!;
        if (Roots.Count > 0 && !Roots.Any(root => candidate == root || candidate.StartsWith(root == "/" ? "/" : root + "/", StringComparison.Ordinal)))
            return $"must be inside one of the allowed repository roots (AUTOPACK_REPO_ROOTS: {string.Join(", ", Roots)})";
        return null;
    }

    private static string? Normalize(string path, out string? normal)
    {
        normal = null;
        if (path.Length is 0 or > 4_096) return "must be 1-4,096 characters";
        if (path.Any(char.IsControl)) return "must not contain control characters";
        if (!path.StartsWith('/')) return "must be an absolute path";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        // Refused rather than resolved: "/srv/repos/../../etc" names a place the plan's author may not expect.
        if (segments.Contains("..")) return "must not contain '..' segments";
        normal = "/" + string.Join('/', segments);
        return null;
    }
}
