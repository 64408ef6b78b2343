using Autopack.Api.Apis;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// Creates runs through the API's own <see cref="RunCreator"/> (tiers, per-tier phase numbering, the run.created event and
/// outbox message), from a short phase list: a test seeds exactly what <c>POST /runs</c> stores, so the two cannot drift.
/// </summary>
public static class RunSeeder
{
    public sealed record PhaseSpec(string PhaseId, string TierId, string[] Scope, string? TestCommand = "sh test.sh",
        Complexity Complexity = Complexity.Low, string Description = "", int MaxAttempts = 5);

    /// <summary>
    /// The run as stored, tracked by <paramref name="db"/>. <paramref name="createdAt"/> back-dates it (claim order is by age).
    /// </summary>
    public static async Task<Run> SeedAsync(AutopackDbContext db, string runId, string? repoPath, IEnumerable<PhaseSpec> phases,
        long tokenCap = RunCaps.DefaultTokenCap, DateTime? createdAt = null)
    {
        var specs = phases.ToList();
        var request = new CreateRunRequest(RunId: runId, Name: runId, RepoPath: repoPath, TokenCap: tokenCap, MaxPhases: null, MaxDurationMinutes: null,
            Tiers: [.. specs.Select(p => p.TierId).Distinct().Select(t => new TierRequest(TierId: t, Name: t, Description: null))],
            Phases: [.. specs.Select(p => new PhaseRequest(PhaseId: p.PhaseId, TierId: p.TierId, Name: p.PhaseId, Description: p.Description,
                Complexity: EnumNames.ToWire(p.Complexity), Scope: new ScopeRequest(Paths: [.. p.Scope], ReadOnlyContext: null),
                TestCommand: p.TestCommand, MaxAttempts: p.MaxAttempts))]);
        // The JSON options only shape the stored idempotent response, and a seeded run has no Idempotency-Key.
        var created = await new RunCreator(new SiblingContexts(db), Microsoft.Extensions.Options.Options.Create(new JsonOptions()),
            TimeProvider.System)
            .CreateAsync(request, idempotencyKey: null, CancellationToken.None);
        if (created.Outcome != RunCreator.Outcome.Created) throw new InvalidOperationException($"Run {runId} exists already.");
        if (createdAt is { } at) await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, at));
        return await db.Runs.Include(r => r.Tiers).Include(r => r.Phases).SingleAsync(r => r.Id == runId);
    }

    /// <summary>New contexts on the caller's database and provider; RunCreator opens and disposes its own.</summary>
    private sealed class SiblingContexts(AutopackDbContext db) : IAutopackDbFactory
    {
        public AutopackDbContext Create() => (AutopackDbContext)Activator.CreateInstance(db.GetType(), db.GetService<IDbContextOptions>())!;
    }
}
