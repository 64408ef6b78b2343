using Autopack.Core.Execution;

namespace Autopack.Executor.Patching;

public enum ScopeVerdict { Allowed, Forbidden, NeedsApproval }

public sealed record ScopeDecision(ScopeVerdict Verdict, string Reason, IReadOnlyList<string> Paths, bool LargeDeletion = false);

/// <summary>
/// Decides whether a patch may be applied. <c>.git/</c> and the configured protected paths: never (the
/// attempt fails). Paths outside the phase's <c>scope.paths</c>, or deleting more lines than the threshold:
/// only after a human approves. Nothing outside the rules is applied silently.
/// </summary>
public sealed class ScopeGovernor(IReadOnlyList<string> protectedPaths, int deletionApprovalLines)
{
    public ScopeDecision Evaluate(ParsedDiff diff, IReadOnlyList<string> scopePaths)
    {
        var touched = diff.Files.SelectMany(f => f.TouchedPaths).Distinct().ToList();
        var forbidden = touched.Where(p => IsGitPath(p) || protectedPaths.Any(pp => ScopeOverlap.Contains(pp, p))).ToList();
        if (forbidden.Count > 0)
            return new ScopeDecision(ScopeVerdict.Forbidden, $"The patch touches protected paths that are never edited: {string.Join(", ", forbidden)}.", forbidden);
        var outside = scopePaths.Count == 0 ? [] : touched.Where(p => !scopePaths.Any(s => ScopeOverlap.Contains(s, p))).ToList();
        if (outside.Count > 0)
            return new ScopeDecision(ScopeVerdict.NeedsApproval,
                $"The patch touches {outside.Count} path(s) outside the phase scope ({string.Join(", ", scopePaths)}): {string.Join(", ", outside)}.", outside);
        if (diff.Removed > deletionApprovalLines)
            return new ScopeDecision(ScopeVerdict.NeedsApproval,
                $"The patch deletes {diff.Removed} lines (approval needed above {deletionApprovalLines}).", touched, LargeDeletion: true);
        return new ScopeDecision(ScopeVerdict.Allowed, "in scope", touched);
    }

    private static bool IsGitPath(string path)
    {
        var n = ScopeOverlap.Normalize(path);
        return n == ".git" || n.StartsWith(".git/", StringComparison.Ordinal) || n.Contains("/.git/", StringComparison.Ordinal) || n.EndsWith("/.git", StringComparison.Ordinal);
    }
}
