using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

/// <summary>GET /runs counts progress in SQL (RunQueries); the run detail counts it from the phase rows. Both must agree.</summary>
public class RunReadsTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task A_page_counts_each_runs_phases_by_state_as_the_detail_does_and_the_total_follows_the_filter(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        foreach (var id in new[] { "mixed", "fresh", "empty-tier" })
            (await http.PostAsJsonAsync("/runs", RunPlans.Simple(id, phases: id == "mixed" ? 8 : 2), Json)).EnsureSuccessStatusCode();
        PhaseState[] states = [PhaseState.Complete, PhaseState.Skipped, PhaseState.Failed, PhaseState.Executing, PhaseState.Gate,
            PhaseState.CiRunning, PhaseState.Queued, PhaseState.Queued];
        await using (var ctx = db.CreateContext())
        {
            var phases = await ctx.Phases.Where(p => p.RunId == "mixed").OrderBy(p => p.Index).ToListAsync();
            for (var i = 0; i < phases.Count; i++) phases[i].State = states[i];
            (await ctx.Runs.SingleAsync(r => r.Id == "fresh")).State = RunState.Running;
            await ctx.SaveChangesAsync();
        }

        var page = await http.GetFromJsonAsync<JsonElement>("/runs?page_size=20");
        Assert.Equal(3, page.GetProperty("total").GetInt32());
        var mixed = page.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("run_id").GetString() == "mixed").GetProperty("progress");
        Assert.Equal((8, 2, 1, 3, 2, 25.0), (mixed.GetProperty("total").GetInt32(), mixed.GetProperty("completed").GetInt32(),
            mixed.GetProperty("failed").GetInt32(), mixed.GetProperty("executing").GetInt32(), mixed.GetProperty("queued").GetInt32(),
            mixed.GetProperty("percent").GetDouble()));
        foreach (var item in page.GetProperty("items").EnumerateArray())
        {
            var detail = await http.GetFromJsonAsync<JsonElement>($"/runs/{item.GetProperty("run_id").GetString()}");
            Assert.Equal(detail.GetProperty("progress").GetRawText(), item.GetProperty("progress").GetRawText());
        }

        var queued = await http.GetFromJsonAsync<JsonElement>("/runs?state=QUEUED&page_size=1");
        Assert.Equal(2, queued.GetProperty("total").GetInt32());
        Assert.Equal(1, queued.GetProperty("items").GetArrayLength());
        var pastTheEnd = await http.GetFromJsonAsync<JsonElement>("/runs?state=QUEUED&page_size=1&page=3");
        Assert.Equal(0, pastTheEnd.GetProperty("items").GetArrayLength());
        Assert.Equal(2, pastTheEnd.GetProperty("total").GetInt32());
        var none = await http.GetFromJsonAsync<JsonElement>("/runs?state=PAUSED");
        Assert.Equal(0, none.GetProperty("total").GetInt32());
    }
}
