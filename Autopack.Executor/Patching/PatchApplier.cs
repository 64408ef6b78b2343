using Autopack.Executor.Workspace;

namespace Autopack.Executor.Patching;

/// <summary>Applies a parsed diff with the real <c>git apply</c>: <c>--check</c> first, so a bad patch changes nothing.</summary>
public static class PatchApplier
{
    public static async Task ApplyAsync(string worktreePath, ParsedDiff diff, CancellationToken ct)
    {
        var check = await Git.RunAsync(worktreePath, ["apply", "--check", "--whitespace=nowarn", "-"], diff.Text, ct);
        if (!check.Ok) throw new PatchApplyException("git apply --check rejected the patch: " + check.Output);
        var apply = await Git.RunAsync(worktreePath, ["apply", "--whitespace=nowarn", "-"], diff.Text, ct);
        if (!apply.Ok) throw new PatchApplyException("git apply failed: " + apply.Output);
    }
}

public sealed class PatchApplyException(string message) : Exception(message);
