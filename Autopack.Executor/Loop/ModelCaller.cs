using Autopack.Core.Execution;
using Autopack.Executor.Models;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Loop;

/// <summary>
/// A model call that outlasts an outage: when every provider of the rung is down, the attempt waits (lease kept,
/// wall clock paused, <c>status_reason</c> naming the providers and until when) and calls again then. An outage is
/// not the phase's fault, so it never counts an attempt or fails the run.
/// </summary>
public sealed class ModelCaller(ModelRouter router, PhaseLedger ledger, PhaseGuards guards, TimeProvider time, ILogger<ModelCaller> logger)
{
    public async Task<ModelCallResult> CallAsync(ClaimedPhase claim, EscalationStep step, IList<ChatMessage> messages, ChatOptions chat,
        PhaseClock clock, CancellationToken ct)
    {
        var waited = false;
        while (true)
        {
            try
            {
                var result = await router.CallAsync(step, messages, chat, ct);
                if (waited) await ledger.SetStatusReasonAsync(claim, null, ct);
                return result;
            }
            catch (ModelUnavailableException ex)
            {
                var wait = ex.RetryAt - time.GetUtcNow();
                if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
                var until = time.GetUtcNow() + wait;
                logger.LogWarning(ex, "Phase {Phase} waits for a model provider until {Until:HH:mm:ss}Z", claim.PhaseId, until);
                await ledger.SetStatusReasonAsync(claim,
                    $"waiting: model unavailable: {string.Join("; ", ex.Outages)}; retrying at {until.UtcDateTime:HH:mm:ss}Z", ct);
                waited = true;
                clock.Stop();
                try { await Task.Delay(wait, time, ct); }
                finally { clock.Start(); }
                await guards.EnsureNoKillSwitchAsync(ct);
            }
        }
    }
}
