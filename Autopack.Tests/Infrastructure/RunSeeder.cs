using Autopack.Core.Data;
using Autopack.Core.Domain;

namespace Autopack.Tests.Infrastructure;

/// <summary>Inserts runs the way the API's create endpoint stores them (tiers, phases with tier index).</summary>
public static class RunSeeder
{
    public sealed record PhaseSpec(string PhaseId, string TierId, string[] Scope, string? TestCommand = "sh test.sh",
        Complexity Complexity = Complexity.Low, string Description = "", int MaxAttempts = 5);

    public static async Task<Run> SeedAsync(AutopackDbContext db, string runId, string? repoPath, IEnumerable<PhaseSpec> phases,
        long tokenCap = RunCaps.DefaultTokenCap, DateTime? createdAt = null)
    {
        var specs = phases.ToList();
        var tierIds = specs.Select(p => p.TierId).Distinct().ToList();
        var run = new Run { Id = runId, Name = runId, RepoPath = repoPath, TokenCap = tokenCap, CreatedAt = createdAt ?? DateTime.UtcNow };
        run.Tiers = tierIds.Select((t, i) => new Tier { RunId = runId, TierId = t, Index = i, Name = t }).ToList();
        var perTier = new Dictionary<string, int>();
        run.Phases = specs.Select((p, i) => new Phase
        {
            RunId = runId, PhaseId = p.PhaseId, TierId = p.TierId, TierIndex = tierIds.IndexOf(p.TierId), Index = i,
            Name = p.PhaseId, Description = p.Description, ScopePaths = p.Scope.ToList(), TestCommand = p.TestCommand,
            Complexity = p.Complexity, MaxAttempts = p.MaxAttempts,
        }).ToList();
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run;
    }
}
