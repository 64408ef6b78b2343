using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Autopack.Tests.Api;

[Trait("Category", "Db")]
public class ApprovalsAndKillSwitchesApiTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Request_list_approve_and_a_second_decision_is_409(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("ra"), Json);
        var created = await http.PostAsJsonAsync("/approvals", new { run_id = "ra", phase_id = "P1", kind = "SCOPE_VIOLATION", reason = "touches src/other", diff = "--- a\n+++ b" }, Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var approval = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = approval.GetProperty("approval_id").GetString()!;
        Assert.StartsWith("apr_", id);
        Assert.Equal("PENDING", approval.GetProperty("status").GetString());

        var pending = await http.GetFromJsonAsync<JsonElement>("/approvals?status=PENDING");
        Assert.Equal(id, pending.GetProperty("items")[0].GetProperty("approval_id").GetString());
        Assert.Equal(1, (await http.GetFromJsonAsync<JsonElement>("/approvals?run_id=ra")).GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/approvals?run_id=another-run")).GetProperty("items").GetArrayLength());

        var approved = await http.PostAsJsonAsync($"/approvals/{id}/approve", new { comment = "fine" }, Json);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var decided = await approved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("APPROVED", decided.GetProperty("status").GetString());
        Assert.Equal("api", decided.GetProperty("decision_source").GetString());

        var again = await http.PostAsync($"/approvals/{id}/reject", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        // Strict parse: the approval's state is its own member, never a second "status" beside the HTTP one.
        using (var problem = StrictJson.Parse(await again.Content.ReadAsStringAsync()))
        {
            Assert.Equal("approval_decided", problem.RootElement.GetProperty("code").GetString());
            Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
            Assert.Equal("APPROVED", problem.RootElement.GetProperty("approval_status").GetString());
        }
        Assert.Equal("APPROVED", (await http.GetFromJsonAsync<JsonElement>($"/approvals/{id}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/approvals/apr_missing/approve", null)).StatusCode);

        await using var ctx = db.CreateContext();
        var types = await ctx.RunEvents.Where(e => e.RunId == "ra").Select(e => e.Type).ToListAsync();
        Assert.Contains("approval.requested", types);
        Assert.Contains("approval.decided", types);
        Assert.Contains(await ctx.OutboxMessages.Select(m => m.Destination + ":" + m.Type).ToListAsync(), s => s == "telegram:approval.requested");
    }

    [Fact]
    public async Task Concurrent_decisions_let_exactly_one_win()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("rc"), Json);
        var id = (await (await http.PostAsJsonAsync("/approvals", new { run_id = "rc", reason = "manual check" }, Json)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("approval_id").GetString();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => http.PostAsync($"/approvals/{id}/{(i % 2 == 0 ? "approve" : "reject")}", null)));
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        await using var ctx = db.CreateContext();
        Assert.Equal(1, await ctx.RunEvents.CountAsync(e => e.Type == "approval.decided"));
    }

    [Fact]
    public async Task The_sweeper_expires_overdue_approvals_as_rejections()
    {
        // The API's clock is fake: the TTL (15 minutes) and the sweep interval (60 s) pass when the test says so.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_APPROVAL_SWEEP_SECONDS"] = "60" }) { Clock = clock };
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("rs"), Json);
        var created = await (await http.PostAsJsonAsync("/approvals", new { run_id = "rs", reason = "check" }, Json)).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("approval_id").GetString();
        Assert.Equal(clock.GetUtcNow().UtcDateTime.AddMinutes(15), created.GetProperty("expires_at").GetDateTime(), TimeSpan.FromMilliseconds(1));

        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal("PENDING", (await http.GetFromJsonAsync<JsonElement>($"/approvals/{id}")).GetProperty("status").GetString());
        clock.Advance(TimeSpan.FromMinutes(2)); // past the deadline, and past the sweeper's next wake-up
        var status = "";
        // Only the sweeper's own thread is waited for here (a few milliseconds), not the clock.
        for (var i = 0; i < 100 && status != "EXPIRED"; i++)
        {
            await Task.Delay(50);
            status = (await http.GetFromJsonAsync<JsonElement>($"/approvals/{id}")).GetProperty("status").GetString()!;
        }
        Assert.Equal("EXPIRED", status);
        var late = await http.PostAsync($"/approvals/{id}/approve", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Kill_switches_are_admin_toggles_stored_in_the_database_and_shown_in_health(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var list = await api.Admin().GetFromJsonAsync<JsonElement>("/kill-switches");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), k => k.GetProperty("name").GetString() == "disable_autonomous");
        var set = await api.Admin().PutAsJsonAsync("/kill-switches/disable_all", new { enabled = true, reason = "incident" }, Json);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        await using (var ctx = db.CreateContext())
            Assert.True((await ctx.KillSwitches.SingleAsync(k => k.Name == "disable_all")).Enabled);
        var health = await api.Anonymous().GetFromJsonAsync<JsonElement>("/health");
        Assert.True(health.GetProperty("kill_switches").GetProperty("disable_all").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Admin().PutAsJsonAsync("/kill-switches/nope", new { enabled = true }, Json)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Admin().PutAsJsonAsync("/kill-switches/disable_all", new { reason = "x" }, Json)).StatusCode);
    }
}
