using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Executor.Models;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Executor.Loop;

/// <summary>Every model call: an <see cref="LlmUsageEvent"/>, the run's and phase's token counters and a <c>usage</c> event, in one transaction.</summary>
public sealed class UsageRecorder(IAutopackDbFactory dbFactory, TimeProvider time)
{
    public async Task RecordAsync(string runId, string phaseId, string role, ModelCallResult call, CancellationToken ct)
    {
        await using var db = PhaseLedger.WithoutSavepoints(dbFactory.Create());
        // A lost commit acknowledgement is recognised by the usage event: a rerun would count the tokens twice.
        await db.RunInTransactionAsync(async () =>
        {
            var total = call.PromptTokens + call.CompletionTokens;
            db.LlmUsageEvents.Add(new LlmUsageEvent
            {
                RunId = runId, PhaseId = phaseId, Provider = call.Provider.Name, Model = call.Model.Model, Role = role,
                PromptTokens = call.PromptTokens, CompletionTokens = call.CompletionTokens,
                // The attempt sums its usage by this time against its own start, so both come from the same clock.
                CreatedAt = time.GetUtcNow().UtcDateTime,
            });
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TokensUsed, r => r.TokensUsed + total), ct);
            await db.Phases.Where(p => p.RunId == runId && p.PhaseId == phaseId)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.TokensUsed, p => p.TokensUsed + total), ct);
            await RunEventWriter.AppendAsync(db, runId, EventTypes.Usage, new
            {
                run_id = runId, phase_id = phaseId, provider = call.Provider.Name, model = call.Model.Model, role,
                prompt_tokens = call.PromptTokens, completion_tokens = call.CompletionTokens,
            }, phaseId, ct);
        }, ct);
    }
}
