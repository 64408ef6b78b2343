using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

/// <summary>The run plan's <c>sandbox.network</c>: stored per phase (the phase's value, else the run's, else false) and read back.</summary>
public class RunPlanSandboxTests
{
    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task A_phase_takes_its_own_network_setting_else_the_runs_and_every_read_shows_it(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        var plan = RunPlans.Simple("net", phases: 3);
        plan["sandbox"] = new { network = true };
        var phases = ((IEnumerable<object>)plan["phases"]!).ToArray();
        phases[1] = With(phases[1], new { network = false }); // the phase overrides the run
        phases[2] = With(phases[2], new { });                   // a member left out takes the run's value
        plan["phases"] = phases;
        var created = await http.PostAsJsonAsync("/runs", plan, ApiFactory.Json);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("plain", phases: 1), ApiFactory.Json);

        foreach (var run in new[] { await created.Content.ReadFromJsonAsync<JsonElement>(), await http.GetFromJsonAsync<JsonElement>("/runs/net") })
        {
            Assert.True(Network(run));
            Assert.Equal([true, false, true], run.GetProperty("phases").EnumerateArray().Select(Network));
        }
        Assert.False(Network((await http.GetFromJsonAsync<JsonElement>("/runs/plain")).GetProperty("phases")[0]));
        var summaries = (await http.GetFromJsonAsync<JsonElement>("/runs")).GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("run_id").GetString()!, Network);
        Assert.Equal(new Dictionary<string, bool> { ["net"] = true, ["plain"] = false }, summaries);
        Assert.False(Network((await http.GetFromJsonAsync<JsonElement>("/runs/net/phases/P2")).GetProperty("phase")));

        await using var ctx = db.CreateContext();
        Assert.Equal(["P1", "P3"], await ctx.Phases.Where(p => p.SandboxNetwork).OrderBy(p => p.PhaseId).Select(p => p.PhaseId).ToListAsync());
    }

    private static bool Network(JsonElement e) => e.GetProperty("sandbox").GetProperty("network").GetBoolean();

    /// <summary>The phase object of <see cref="RunPlans.Simple"/> with a <c>sandbox</c> member.</summary>
    private static Dictionary<string, object?> With(object phase, object sandbox)
    {
        var members = JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(phase, ApiFactory.Json))!;
        members["sandbox"] = sandbox;
        return members;
    }
}
