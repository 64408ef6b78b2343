using Autopack.Executor.Workspace;

namespace Autopack.Executor.Patching;

/// <summary>
/// Applies a parsed diff with the real <c>git apply</c>. It is atomic: every hunk is checked before any file is written,
/// so a patch that does not fit changes nothing (a separate <c>--check</c> would only start a second git).
/// </summary>
public static class PatchApplier
{
    public static async Task ApplyAsync(string worktreePath, ParsedDiff diff, CancellationToken ct)
    {
        var apply = await Git.RunAsync(worktreePath, ["apply", "--whitespace=nowarn", "-"], diff.Text, ct);
        if (!apply.Ok) throw new PatchApplyException("git apply rejected the patch (nothing was changed): " + apply.Output);
    }
}

public sealed class PatchApplyException(string message) : Exception(message);
