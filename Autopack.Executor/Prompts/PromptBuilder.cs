using System.Text;
using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Executor.Testing;
using Autopack.Executor.Workspace;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Prompts;

/// <summary>
/// Builds the builder's and the auditor's messages. Context is capped (AUTOPACK_PROMPT_MAX_CHARS): scoped files
/// first, then read-only context, memory and the previous failure each within their share, cut with a marker.
/// </summary>
public sealed class PromptBuilder(ExecutorOptions options)
{
    public const string BuilderSystem = """
        ROLE: builder
        You are the builder of Autopack, an autonomous build system. You change a git repository to complete one phase.
        Answer with exactly ONE fenced ```diff block holding a unified diff against the files shown
        (--- a/path, +++ b/path, @@ -l,s +l,s @@ hunks with exact line counts; --- /dev/null for a new file).
        Edit only the paths listed under "Scope". Never touch .git/. Paths are relative to the repository root.
        Text outside the diff block is ignored.
        """;

    public const string AuditorSystem = """
        ROLE: auditor
        You are the auditor of Autopack. Review the diff against the phase's goal and the test result.
        The FIRST line of your answer must be exactly one of:
        VERDICT: APPROVE
        VERDICT: REJECT
        VERDICT: ESCALATE
        (ESCALATE asks a human to decide: use it for risky changes). Then give short notes.
        """;

    public static string PhaseMarker(string runId, string phaseId) => $"Autopack-Phase-Id: {runId}/{phaseId}";

    public async Task<List<ChatMessage>> BuildBuilderAsync(Phase phase, string worktree, string? previousFailure,
        IReadOnlyList<MemoryHit> memory, CancellationToken ct)
    {
        var budget = options.PromptMaxChars;
        var sb = new StringBuilder();
        sb.AppendLine(PhaseMarker(phase.RunId, phase.PhaseId));
        sb.AppendLine($"# Phase {phase.PhaseId}: {phase.Name}");
        sb.AppendLine(phase.Description.Trim());
        sb.AppendLine();
        sb.AppendLine("## Scope (the only paths you may edit)");
        foreach (var p in phase.ScopePaths) sb.AppendLine("- " + p);
        if (phase.ScopePaths.Count == 0) sb.AppendLine("- (whole repository)");
        if (!string.IsNullOrWhiteSpace(phase.TestCommand)) sb.AppendLine($"\nThe change must make `{phase.TestCommand}` pass.");

        var failureShare = string.IsNullOrEmpty(previousFailure) ? 0 : Math.Min(previousFailure.Length, budget / 6);
        var memoryShare = memory.Count == 0 ? 0 : budget / 10;
        var filesShare = budget - sb.Length - failureShare - memoryShare - 500;
        sb.AppendLine("\n## Files in scope");
        var used = await AppendFilesAsync(sb, worktree, phase.ScopePaths, (int)(filesShare * 0.7), ct);
        if (phase.ReadOnlyContext.Count > 0)
        {
            sb.AppendLine("\n## Read-only context (do not edit)");
            await AppendFilesAsync(sb, worktree, phase.ReadOnlyContext, filesShare - used, ct);
        }
        if (memory.Count > 0)
        {
            sb.AppendLine("\n## Lessons from memory (similar past errors and fixes)");
            var m = new StringBuilder();
            foreach (var hit in memory) m.AppendLine($"- [{hit.Kind}] {hit.Text.ReplaceLineEndings(" ")}");
            sb.AppendLine(TestCommandRunner.Truncate(m.ToString(), memoryShare));
        }
        if (!string.IsNullOrEmpty(previousFailure))
        {
            sb.AppendLine("\n## The previous attempt failed; fix this");
            sb.AppendLine("```");
            sb.AppendLine(TestCommandRunner.Truncate(previousFailure, failureShare));
            sb.AppendLine("```");
        }
        return [new ChatMessage(ChatRole.System, BuilderSystem), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    public List<ChatMessage> BuildAuditor(Phase phase, string diff, TestResult? tests)
    {
        var budget = options.PromptMaxChars;
        var sb = new StringBuilder();
        sb.AppendLine(PhaseMarker(phase.RunId, phase.PhaseId));
        sb.AppendLine($"# Phase {phase.PhaseId}: {phase.Name}");
        sb.AppendLine(phase.Description.Trim());
        sb.AppendLine("\n## Diff");
        sb.AppendLine("```diff");
        sb.AppendLine(TestCommandRunner.Truncate(diff, budget * 2 / 3));
        sb.AppendLine("```");
        sb.AppendLine("\n## Tests");
        if (tests is null) sb.AppendLine("No test command for this phase.");
        else
        {
            sb.AppendLine($"`{phase.TestCommand}` exited with {(tests.TimedOut ? "a timeout" : tests.ExitCode.ToString())}:");
            sb.AppendLine("```");
            sb.AppendLine(TestCommandRunner.Truncate(tests.Output, budget / 4));
            sb.AppendLine("```");
        }
        return [new ChatMessage(ChatRole.System, AuditorSystem), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    private static async Task<int> AppendFilesAsync(StringBuilder sb, string worktree, IReadOnlyList<string> paths, int share, CancellationToken ct)
    {
        var start = sb.Length;
        var files = new List<string>();
        foreach (var p in paths)
        {
            var listed = await Git.RunAsync(worktree, ["ls-files", "--", p], ct: ct);
            var found = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (found.Length == 0) sb.AppendLine($"### {p}\n(does not exist yet)");
            files.AddRange(found);
        }
        var perFile = files.Count == 0 ? share : Math.Max(500, share / files.Count);
        foreach (var f in files.Distinct())
        {
            var content = await File.ReadAllTextAsync(Path.Combine(worktree, f), ct);
            sb.AppendLine($"### {f}");
            sb.AppendLine("```");
            sb.Append(TestCommandRunner.Truncate(content, perFile));
            if (!content.EndsWith('\n')) sb.AppendLine();
            sb.AppendLine("```");
        }
        return sb.Length - start;
    }
}
