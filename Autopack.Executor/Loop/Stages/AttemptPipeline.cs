using Autopack.Executor.Models;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// One attempt, stage by stage: builder → patch (scope governance, apply) → tests → audit → landing. The first stage
/// that fails ends the attempt with its outcome.
/// </summary>
public sealed class AttemptPipeline(ModelRouter router, BuilderStage builder, PatchStage patches, TestStage tests, AuditStage audit,
    LandingStage landing)
{
    /// <summary>The rung follows the attempts counted in this round: a stop, which is not counted, never escalates.</summary>
    public EscalationStep BuilderStep(AttemptStart attempt, Core.Domain.Phase phase) => router.BuilderStep(phase.Complexity, attempt.Counted);

    public async Task<AttemptOutcome> RunAsync(AttemptContext a, CancellationToken ct)
    {
        var built = await builder.RunAsync(a, ct);
        if (built.Failure is { } notBuilt) return notBuilt;
        if (await patches.ApplyAsync(a, built.Value, ct) is { } notApplied) return notApplied;
        var tested = await tests.RunAsync(a, built.Value, ct);
        if (tested.Failure is { } failedTests) return failedTests;
        var audited = await audit.RunAsync(a, built.Value, tested.Value, ct);
        if (audited.Failure is { } rejected) return rejected;
        return await landing.LandAsync(a, built.Value, audited.Value, ct);
    }
}
