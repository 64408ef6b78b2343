using System.Text;
using System.Text.RegularExpressions;

namespace Autopack.Executor.Patching;

/// <summary>One file's part of a unified diff.</summary>
public sealed record FilePatch(string? OldPath, string? NewPath, int Added, int Removed)
{
    public bool IsNew => OldPath is null;
    public bool IsDelete => NewPath is null;
    /// <summary>Every path the patch writes (old and new, so a rename out of scope is caught too).</summary>
    public IEnumerable<string> TouchedPaths => new[] { OldPath, NewPath }.OfType<string>().Distinct();
}

public sealed record ParsedDiff(string Text, IReadOnlyList<FilePatch> Files)
{
    public int Added => Files.Sum(f => f.Added);
    public int Removed => Files.Sum(f => f.Removed);
}

/// <summary>
/// The builder's edit format: exactly one fenced <c>```diff</c> block holding a unified diff (<c>--- a/path</c>,
/// <c>+++ b/path</c>, <c>@@</c> hunks whose line counts must match). Parsing is strict; the message of a
/// <see cref="DiffFormatException"/> is written for the model, which gets it back on the next attempt.
/// </summary>
public static partial class UnifiedDiff
{
    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")]
    private static partial Regex HunkHeader();

    [GeneratedRegex(@"^```(?:diff|patch)[ \t]*\r?\n(.*?)^```[ \t]*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Fence();

    public static ParsedDiff ParseResponse(string response)
    {
        var blocks = Fence().Matches(response);
        if (blocks.Count == 0)
            throw new DiffFormatException("No ```diff fenced block found. Answer with exactly one ```diff block containing a unified diff.");
        if (blocks.Count > 1)
            throw new DiffFormatException($"Found {blocks.Count} ```diff blocks; put every file's changes in one single ```diff block.");
        return Parse(blocks[0].Groups[1].Value);
    }

    public static ParsedDiff Parse(string diff)
    {
        var lines = diff.Replace("\r\n", "\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1] == "") lines.RemoveAt(lines.Count - 1);
        var output = new StringBuilder();
        var files = new List<FilePatch>();
        var i = 0;
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.StartsWith("diff --git ", StringComparison.Ordinal) || line.StartsWith("index ", StringComparison.Ordinal)
                || line.StartsWith("new file mode", StringComparison.Ordinal) || line.StartsWith("deleted file mode", StringComparison.Ordinal))
            {
                i++; // git's extended headers are re-derived by git apply from ---/+++; drop them.
                continue;
            }
            if (line.Trim().Length == 0 && files.Count > 0) { i++; continue; }
            if (!line.StartsWith("--- ", StringComparison.Ordinal))
                throw new DiffFormatException($"Line {i + 1}: expected a file header '--- a/path', got '{Clip(line)}'.");
            if (i + 1 >= lines.Count || !lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
                throw new DiffFormatException($"Line {i + 2}: '--- ' must be followed by '+++ b/path'.");
            var oldPath = HeaderPath(line[4..], "a/", i + 1);
            var newPath = HeaderPath(lines[i + 1][4..], "b/", i + 2);
            if (oldPath is null && newPath is null) throw new DiffFormatException($"Line {i + 1}: both sides are /dev/null.");
            output.Append("--- ").Append(oldPath is null ? "/dev/null" : "a/" + oldPath).Append('\n');
            output.Append("+++ ").Append(newPath is null ? "/dev/null" : "b/" + newPath).Append('\n');
            i += 2;
            int added = 0, removed = 0, hunks = 0;
            while (i < lines.Count && lines[i].StartsWith("@@", StringComparison.Ordinal))
            {
                var m = HunkHeader().Match(lines[i]);
                if (!m.Success) throw new DiffFormatException($"Line {i + 1}: malformed hunk header '{Clip(lines[i])}' (expected '@@ -l,s +l,s @@').");
                var oldCount = m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 1;
                var newCount = m.Groups[4].Success ? int.Parse(m.Groups[4].Value) : 1;
                output.Append(lines[i]).Append('\n');
                i++;
                int seenOld = 0, seenNew = 0;
                while (i < lines.Count && (seenOld < oldCount || seenNew < newCount || (i < lines.Count && lines[i].StartsWith('\\'))))
                {
                    var l = lines[i];
                    if (l.Length == 0) { l = " "; } // a blank context line whose leading space was lost
                    switch (l[0])
                    {
                        case ' ': seenOld++; seenNew++; break;
                        case '-': seenOld++; removed++; break;
                        case '+': seenNew++; added++; break;
                        case '\\': break;
                        default:
                            throw new DiffFormatException($"Line {i + 1}: hunk ended early: expected {oldCount} old / {newCount} new lines, saw {seenOld} / {seenNew} before '{Clip(l)}'.");
                    }
                    if (seenOld > oldCount || seenNew > newCount)
                        throw new DiffFormatException($"Line {i + 1}: hunk has more lines than its header '@@ -{oldCount} +{newCount}' says.");
                    output.Append(l).Append('\n');
                    i++;
                }
                if (seenOld != oldCount || seenNew != newCount)
                    throw new DiffFormatException($"Hunk header says {oldCount} old / {newCount} new lines but the hunk has {seenOld} / {seenNew}.");
                hunks++;
            }
            if (hunks == 0) throw new DiffFormatException($"File '{newPath ?? oldPath}' has no @@ hunk.");
            files.Add(new FilePatch(oldPath, newPath, added, removed));
        }
        if (files.Count == 0) throw new DiffFormatException("The diff block is empty.");
        return new ParsedDiff(output.ToString(), files);
    }

    private static string? HeaderPath(string raw, string prefix, int lineNumber)
    {
        var path = raw.Split('\t')[0].Trim();
        if (path == "/dev/null") return null;
        if (path.StartsWith(prefix, StringComparison.Ordinal)) path = path[prefix.Length..];
        if (path.Length == 0) throw new DiffFormatException($"Line {lineNumber}: empty path.");
        if (path.StartsWith('/') || path.Split('/').Contains(".."))
            throw new DiffFormatException($"Line {lineNumber}: path '{path}' must be relative to the repository root without '..'.");
        return path;
    }

    private static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}

public sealed class DiffFormatException(string message) : Exception(message);
