using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Api.Services;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

/// <summary>
/// Run reads are served from each replica's <c>RunReadCache</c> only while the rows they show are unchanged in the
/// database: two API instances on one PostgreSQL, a write through one (or straight to the database, as an executor
/// writes), and the next read through the other shows it.
/// </summary>
[Trait("Category", "Db")]
public class RunReadConsistencyTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    [Fact]
    public async Task A_write_through_one_replica_or_an_executor_is_read_at_once_through_another()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var a = new ApiFactory(db);
        await using var b = new ApiFactory(db);
        var writer = a.Admin();
        var reader = b.Admin();
        (await writer.PostAsJsonAsync("/runs", RunPlans.Simple("run-1", phases: 2), Json)).EnsureSuccessStatusCode();

        // b reads twice, so the second answer comes from its cache.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("QUEUED", (await reader.GetFromJsonAsync<JsonElement>("/runs/run-1")).GetProperty("state").GetString());
            Assert.Equal("QUEUED", Item(await reader.GetFromJsonAsync<JsonElement>("/runs?page_size=20"), "run-1").GetProperty("state").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await writer.PostAsync("/runs/run-1/cancel", null)).StatusCode);
        Assert.Equal("CANCELLED", (await reader.GetFromJsonAsync<JsonElement>("/runs/run-1")).GetProperty("state").GetString());
        Assert.Equal("CANCELLED", Item(await reader.GetFromJsonAsync<JsonElement>("/runs?page_size=20"), "run-1").GetProperty("state").GetString());

        // The executor's usage and status-reason updates write no run event; the reads must show them all the same.
        await using (var ctx = db.CreateContext())
            await ctx.Runs.Where(r => r.Id == "run-1").ExecuteUpdateAsync(s => s.SetProperty(r => r.TokensUsed, r => r.TokensUsed + 500));
        Assert.Equal(500, (await reader.GetFromJsonAsync<JsonElement>("/runs/run-1")).GetProperty("tokens_used").GetInt64());
        Assert.Equal(500, Item(await reader.GetFromJsonAsync<JsonElement>("/runs?page_size=20"), "run-1").GetProperty("tokens_used").GetInt64());
        // A phase row alone changing (the run row untouched) is seen too.
        await using (var ctx = db.CreateContext())
            await ctx.Phases.Where(p => p.RunId == "run-1" && p.Index == 1).ExecuteUpdateAsync(s => s.SetProperty(p => p.StatusReason, "waiting: a test"));
        Assert.Equal("waiting: a test", (await reader.GetFromJsonAsync<JsonElement>("/runs/run-1")).GetProperty("phases")[1].GetProperty("status_reason").GetString());

        // A new run changes the page (its total and its items) on every replica.
        (await writer.PostAsJsonAsync("/runs", RunPlans.Simple("run-2"), Json)).EnsureSuccessStatusCode();
        var page = await reader.GetFromJsonAsync<JsonElement>("/runs?page_size=20");
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal("run-2", page.GetProperty("items")[0].GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task A_run_added_below_the_page_or_leaving_a_state_changes_the_page_total_on_every_replica()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var a = new ApiFactory(db);
        await using var b = new ApiFactory(db);
        (await a.Admin().PostAsJsonAsync("/runs", RunPlans.Simple("newest"), Json)).EnsureSuccessStatusCode();
        var reader = b.Admin();
        for (var i = 0; i < 2; i++) // the second read of each comes from b's cache
        {
            Assert.Equal((1, "newest"), await FirstAsync(reader, "/runs?page_size=1"));
            Assert.Equal((1, "newest"), await FirstAsync(reader, "/runs?state=QUEUED&page_size=1"));
        }

        // Written straight to the database a day older: page 1 keeps its one item, only the totals move.
        await using (var ctx = db.CreateContext())
        {
            ctx.Runs.Add(new Run { Id = "older", Name = "older", CreatedAt = DateTime.UtcNow.AddDays(-1) });
            await ctx.SaveChangesAsync();
        }
        Assert.Equal((2, "newest"), await FirstAsync(reader, "/runs?page_size=1"));
        Assert.Equal((2, "newest"), await FirstAsync(reader, "/runs?state=QUEUED&page_size=1"));

        await using (var ctx = db.CreateContext())
            await ctx.Runs.Where(r => r.Id == "older").ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Failed));
        Assert.Equal((2, "newest"), await FirstAsync(reader, "/runs?page_size=1"));
        Assert.Equal((1, "newest"), await FirstAsync(reader, "/runs?state=QUEUED&page_size=1"));
        Assert.Equal((1, "older"), await FirstAsync(reader, "/runs?state=FAILED&page_size=1"));
    }

    [Fact]
    public async Task A_phase_changing_alone_is_seen_through_another_replicas_cached_page_on_first_and_deep_pages()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var a = new ApiFactory(db);
        await using var b = new ApiFactory(db);
        const int runs = RunVersions.PreparedPages + 2; // the oldest run sits on a page whose version is not prepared
        for (var i = 0; i < runs; i++)
            (await a.Admin().PostAsJsonAsync("/runs", RunPlans.Simple($"run-{i}", phases: 3), Json)).EnsureSuccessStatusCode();
        var reader = b.Admin();
        foreach (var (page, runId) in new[] { (1, $"run-{runs - 1}"), (runs, "run-0") })
        {
            var path = $"/runs?page={page}&page_size=1";
            for (var i = 0; i < 2; i++) // the second read comes from b's cache
                Assert.Equal(0, Item(await reader.GetFromJsonAsync<JsonElement>(path), runId).GetProperty("progress").GetProperty("completed").GetInt32());

            // Only a phase row changes (the run row untouched), straight in the database, as an executor's write would.
            await using (var ctx = db.CreateContext())
                await ctx.Phases.Where(p => p.RunId == runId && p.Index == 2).ExecuteUpdateAsync(s => s.SetProperty(p => p.State, PhaseState.Complete));
            Assert.Equal(1, Item(await reader.GetFromJsonAsync<JsonElement>(path), runId).GetProperty("progress").GetProperty("completed").GetInt32());
        }
    }

    private static async Task<(int Total, string? First)> FirstAsync(HttpClient client, string path)
    {
        var page = await client.GetFromJsonAsync<JsonElement>(path);
        return (page.GetProperty("total").GetInt32(), page.GetProperty("items")[0].GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task The_etag_is_the_same_on_every_replica_answers_304_until_the_run_changes_and_a_missing_run_is_a_404()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var a = new ApiFactory(db);
        await using var b = new ApiFactory(db);
        (await a.Admin().PostAsJsonAsync("/runs", RunPlans.Simple("run-1"), Json)).EnsureSuccessStatusCode();

        foreach (var path in new[] { "/runs/run-1", "/runs?page_size=20" })
        {
            var first = await a.Admin().GetAsync(path);
            var tag = first.Headers.ETag ?? throw new Xunit.Sdk.XunitException($"{path}: no ETag");
            Assert.Equal(tag, (await b.Admin().GetAsync(path)).Headers.ETag);
            Assert.Equal(HttpStatusCode.NotModified, (await Conditional(b, path, tag)).StatusCode);
        }

        var before = (await a.Admin().GetAsync("/runs/run-1")).Headers.ETag!;
        Assert.Equal(HttpStatusCode.OK, (await a.Admin().PostAsync("/runs/run-1/cancel", null)).StatusCode);
        var changed = await Conditional(b, "/runs/run-1", before);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(before, changed.Headers.ETag);
        Assert.Equal("CANCELLED", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await b.Admin().GetAsync("/runs/no-such-run")).StatusCode);
    }

    private static Task<HttpResponseMessage> Conditional(ApiFactory api, string path, EntityTagHeaderValue tag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(tag);
        return api.Admin().SendAsync(request);
    }

    private static JsonElement Item(JsonElement page, string runId) =>
        page.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("run_id").GetString() == runId);
}
