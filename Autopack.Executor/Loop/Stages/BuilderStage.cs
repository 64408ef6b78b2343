using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Executor.Models;
using Autopack.Executor.Patching;
using Autopack.Executor.Prompts;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Loop.Stages;

/// <summary>The builder's answer as a strict diff, and the model that wrote it.</summary>
public sealed record BuiltPatch(ParsedDiff Diff, string Model);

/// <summary>
/// The builder: memory recall, prompt, model call (a truncated answer asked again with a 1.25× larger output budget, up
/// to the cap), usage, strict parsing. A paid answer kept from a stopped attempt is used instead of a new call.
/// </summary>
public sealed class BuilderStage(ExecutorOptions options, PromptBuilder prompts, PhaseMemory memory, PhaseGuards guards, ModelCaller models,
    UsageRecorder usage, PhaseLedger ledger, ILogger<BuilderStage> logger)
{
    public async Task<StageResult<BuiltPatch>> RunAsync(AttemptContext a, CancellationToken ct)
    {
        var (claim, phase, number) = (a.Claim, a.Phase, a.Attempt.Number);
        ParsedDiff diff;
        string builderModel;
        if (a.Kept is { } kept)
        {
            // A stop interrupted the previous attempt after the builder had answered: use that paid answer.
            logger.LogInformation("Reusing the builder answer of stopped attempt {Attempt} ({Model})", kept.FromAttempt, kept.Model);
            diff = UnifiedDiff.Parse(kept.Diff);
            builderModel = kept.Model;
            await ledger.RecordBuilderAnswerAsync(claim, number, builderModel, diff.Text, ct);
            return StageResult.Ok<BuiltPatch>(new BuiltPatch(diff, builderModel));
        }

        var hits = await memory.RecallAsync($"{phase.Name} {phase.Description} {a.Feedback}", 5, ct);
        var messages = await prompts.BuildBuilderAsync(phase, a.Worktree.Path, a.Feedback, hits, ct);

        // Builder; a truncated answer is asked again with a larger output budget (×1.25, capped).
        var outputBudget = options.MaxOutputTokens;
        ModelCallResult built;
        while (true)
        {
            await guards.BeforeModelCallAsync(claim, a.Clock, ct);
            built = await models.CallAsync(claim, a.Step, messages, new ChatOptions { MaxOutputTokens = outputBudget, Temperature = 0 }, a.Clock, ct);
            await usage.RecordAsync(claim.RunId, claim.PhaseId, "builder", built, CancellationToken.None);
            if (!built.Truncated) break;
            // A cut-off answer: its model goes on the row before the retry or the failure; a whole answer's, with its diff, below.
            await ledger.RecordBuilderAnswerAsync(claim, number, built.Model.ToString(), null, ct);
            var larger = Math.Min(options.MaxOutputTokensCap, (int)Math.Ceiling(outputBudget * 1.25));
            if (larger <= outputBudget)
                return StageResult.Failed<BuiltPatch>(AttemptOutcome.Fail(ReasonCodes.PatchFailed,
                    $"The answer was cut off at the output limit ({outputBudget} tokens, the cap). Make the diff smaller."));
            logger.LogInformation("Builder output truncated at {Budget} tokens; retrying with {Larger}", outputBudget, larger);
            outputBudget = larger;
        }
        builderModel = built.Model.ToString();
        try { diff = UnifiedDiff.ParseResponse(built.Response.Text); }
        catch (DiffFormatException ex)
        {
            await ledger.RecordBuilderAnswerAsync(claim, number, builderModel, null, ct);
            return StageResult.Failed<BuiltPatch>(AttemptOutcome.Fail(ReasonCodes.PatchFailed, "Your answer could not be parsed: " + ex.Message));
        }
        await ledger.RecordBuilderAnswerAsync(claim, number, builderModel, diff.Text, ct);
        return StageResult.Ok<BuiltPatch>(new BuiltPatch(diff, builderModel));
    }
}
