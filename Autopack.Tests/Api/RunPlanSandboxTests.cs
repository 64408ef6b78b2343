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

    [Fact]
    public async Task The_openapi_document_declares_sandbox_network_on_the_run_plan_and_its_phases()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        using var doc = JsonDocument.Parse(await api.Anonymous().GetStringAsync("/openapi/v1.json"));
        var root = doc.RootElement;
        var plan = Resolve(root, root.GetProperty("paths").GetProperty("/runs").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        var phase = Resolve(root, Resolve(root, plan.GetProperty("properties").GetProperty("phases")).GetProperty("items"));
        foreach (var sandbox in new[] { plan, phase }.Select(s => Resolve(root, s.GetProperty("properties").GetProperty("sandbox"))))
        {
            var network = Resolve(root, sandbox.GetProperty("properties").GetProperty("network"));
            Assert.Contains("boolean", network.GetProperty("type").ToString());
        }
    }

    /// <summary>The schema behind <c>$ref</c>s and a nullable's <c>oneOf</c>/<c>anyOf</c> (its non-null branch).</summary>
    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        while (true)
        {
            if (schema.TryGetProperty("$ref", out var r)) schema = r.GetString()!.Split('/')[1..].Aggregate(root, (e, n) => e.GetProperty(n));
            else if (schema.TryGetProperty("oneOf", out var o) || schema.TryGetProperty("anyOf", out o))
                schema = o.EnumerateArray().First(x => !(x.TryGetProperty("type", out var t) && t.ToString() == "null"));
            else return schema;
        }
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
