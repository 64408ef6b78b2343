namespace Autopack.Core.Execution;

/// <summary>
/// Two phases may run side by side only when no path of one lies inside (or equals) a path of the other;
/// an empty scope means "anything" and overlaps with everything.
/// </summary>
public static class ScopeOverlap
{
    public static bool Overlaps(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return true;
        foreach (var x in a)
        foreach (var y in b)
            if (Contains(x, y) || Contains(y, x)) return true;
        return false;
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="scope"/> or lies under it as a folder.</summary>
    public static bool Contains(string scope, string path)
    {
        var s = Normalize(scope);
        var p = Normalize(path);
        if (s.Length == 0) return true;
        return p == s || p.StartsWith(s + "/", StringComparison.Ordinal);
    }

    public static string Normalize(string path)
    {
        var p = path.Replace('\\', '/').Trim();
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.Trim('/');
    }
}
