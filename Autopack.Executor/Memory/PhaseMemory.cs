using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Memory;

/// <summary>
/// What the loop sees of memory: remember errors, fixes and summaries; recall the nearest ones for a prompt.
/// Off with AUTOPACK_ENABLE_MEMORY=0 or the <c>disable_memory</c> kill switch. Memory helps but never
/// decides: a failing backend is logged and the phase goes on without it.
/// </summary>
public sealed class PhaseMemory(IMemoryStore? store, IEmbeddingGenerator<string, Embedding<float>> embedder, KillSwitchReader killSwitches,
    ILogger<PhaseMemory> logger)
{
    public bool Enabled => store is not null;
    public string Backend => store?.Backend ?? "off";

    public async Task RememberAsync(string kind, string text, string runId, string phaseId, CancellationToken ct)
    {
        if (store is null || await killSwitches.IsEngagedAsync(KillSwitchNames.DisableMemory, ct)) return;
        try
        {
            var vector = (await embedder.GenerateAsync([text], cancellationToken: ct))[0].Vector;
            await store.StoreAsync(kind, text, runId, phaseId, vector, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Memory store ({Backend}) failed: {Error}", store.Backend, ex.GetBaseException().Message);
        }
    }

    public Task<IReadOnlyList<MemoryHit>> RecallAsync(string query, int limit, CancellationToken ct) => RecallAsync(query, limit, null, ct);

    public async Task<IReadOnlyList<MemoryHit>> RecallAsync(string query, int limit, MemoryFilter? filter, CancellationToken ct)
    {
        if (store is null || await killSwitches.IsEngagedAsync(KillSwitchNames.DisableMemory, ct)) return [];
        try
        {
            var vector = (await embedder.GenerateAsync([query], cancellationToken: ct))[0].Vector;
            return (await store.SearchAsync(vector, limit, filter, ct)).Where(h => h.Score > 0.1).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Memory recall ({Backend}) failed: {Error}", store.Backend, ex.GetBaseException().Message);
            return [];
        }
    }
}
