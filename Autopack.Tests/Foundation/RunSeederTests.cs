using System.Net;
using System.Net.Http.Json;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Foundation;

/// <summary>The runs tests seed are the runs <c>POST /runs</c> stores: a copy that drifts hides product bugs (it hid the retry hot loop).</summary>
[Trait("Category", "Db")]
public sealed class RunSeederTests
{
    [Fact]
    public async Task A_seeded_run_is_stored_exactly_as_POST_runs_stores_the_same_plan()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var plan = new
        {
            run_id = "posted", name = "seeded", token_cap = 123_456,
            tiers = new[] { new { tier_id = "T1", name = "T1" }, new { tier_id = "T2", name = "T2" } },
            phases = new[]
            {
                new { phase_id = "P1", tier_id = "T1", name = "P1", description = "one", complexity = "low", scope = new { paths = new[] { "a.txt" } }, test_command = "sh test.sh", max_attempts = 5 },
                new { phase_id = "P2", tier_id = "T1", name = "P2", description = "", complexity = "high", scope = new { paths = new[] { "b.txt" } }, test_command = "sh test.sh", max_attempts = 3 },
                new { phase_id = "P3", tier_id = "T2", name = "P3", description = "", complexity = "low", scope = new { paths = new[] { "c.txt" } }, test_command = "sh test.sh", max_attempts = 5 },
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await api.Admin().PostAsJsonAsync("/runs", plan, ApiFactory.Json)).StatusCode);
        await using (var ctx = db.CreateContext())
            await SeedAsync(ctx, "seeded", null, [new("P1", "T1", ["a.txt"], Description: "one"), new("P2", "T1", ["b.txt"], Complexity: Complexity.High, MaxAttempts: 3),
                new("P3", "T2", ["c.txt"])], tokenCap: 123_456);

        await using var check = db.CreateContext();
        async Task<object> StoredAsync(string runId)
        {
            var run = await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            var tiers = await check.Tiers.AsNoTracking().Where(t => t.RunId == runId).OrderBy(t => t.Index).Select(t => $"{t.TierId}#{t.Index}:{t.Name}").ToListAsync();
            var phases = (await check.Phases.AsNoTracking().Where(p => p.RunId == runId).OrderBy(p => p.PhaseId).ToListAsync())
                .Select(p => $"{p.PhaseId} {p.TierId} tier#{p.TierIndex} #{p.Index} {p.State} {p.Complexity} [{string.Join(",", p.ScopePaths)}] "
                    + $"[{string.Join(",", p.ReadOnlyContext)}] {p.TestCommand} max {p.MaxAttempts} '{p.Description}'").ToList();
            var events = await check.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
            var outbox = await check.OutboxMessages.AsNoTracking().Where(m => m.RunId == runId).Select(m => m.Type).ToListAsync();
            return new { run.State, run.TokenCap, run.MaxPhases, run.MaxDurationMinutes, Tiers = string.Join("; ", tiers),
                Phases = string.Join("\n", phases), Events = string.Join(",", events), Outbox = string.Join(",", outbox) };
        }
        var posted = await StoredAsync("posted");
        Assert.Equal(posted, await StoredAsync("seeded"));
        Assert.Contains("P3 T2 tier#1 #0", posted.ToString()); // numbered within its tier
    }
}
