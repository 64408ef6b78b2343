namespace Autopack.Tests.Infrastructure;

/// <summary>Run plans as the API takes them (snake_case JSON objects).</summary>
public static class RunPlans
{
    public static Dictionary<string, object?> Simple(string? runId = null, int phases = 2, string? repoPath = null, string testCommand = "true")
    {
        var plan = new Dictionary<string, object?>
        {
            ["name"] = "test plan",
            ["tiers"] = new[] { new { tier_id = "T1", name = "Tier one", description = "first" } },
            ["phases"] = Enumerable.Range(1, phases).Select(i => new
            {
                phase_id = $"P{i}", tier_id = "T1", name = $"Phase {i}", description = $"Do step {i}", complexity = "low",
                scope = new { paths = new[] { $"src/file{i}.txt" }, read_only_context = new[] { "README.md" } },
                test_command = testCommand,
            }).ToArray(),
        };
        if (runId is not null) plan["run_id"] = runId;
        if (repoPath is not null) plan["repo_path"] = repoPath;
        if (phases > 25) plan["max_phases"] = phases;
        return plan;
    }
}
