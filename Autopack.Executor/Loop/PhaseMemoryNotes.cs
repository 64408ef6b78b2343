using Autopack.Core.Domain;

namespace Autopack.Executor.Loop;

/// <summary>What a finished attempt leaves in memory: a phase summary, an error, or an error with the diff that fixed it.</summary>
public static class PhaseMemoryNotes
{
    public static string Summary(Phase phase) =>
        $"Phase '{phase.Name}' completed: {phase.Description} Files: {string.Join(", ", phase.ScopePaths)}.";

    public static string Fix(string feedback, AttemptOutcome outcome) =>
        $"Error: {AttemptPolicy.Clip(feedback, 600)}\nFixed by:\n{AttemptPolicy.Clip(outcome.Diff ?? "", 1200)}";

    public static string Error(Phase phase, AttemptOutcome outcome) =>
        $"Phase '{phase.Name}' ({phase.Description}) failed with {outcome.Reason}: {AttemptPolicy.Clip(outcome.Feedback ?? "", 1500)}";
}
