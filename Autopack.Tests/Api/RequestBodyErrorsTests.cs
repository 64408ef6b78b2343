using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

/// <summary>Bodies the binder refuses or the database could not store: each answer names the field, and nothing is stored.</summary>
[Trait("Category", "Db")]
public class RequestBodyErrorsTests
{
    private const string Tier = """ "tiers":[{"tier_id":"T1"}] """;
    private const string Phase = """ "phases":[{"phase_id":"P1","tier_id":"T1"}] """;

    public static TheoryData<string, string, int, string, string, string> Bodies() => new()
    {
        // why, path, status, code, field, message
        { "unknown phase member", "/runs", 400, "unknown_member", "phases[0].depends_on", "is not a member" },
        { "unknown top-level member", "/runs", 400, "unknown_member", "priority", "is not a member" },
        { "string for an array", "/runs", 400, "malformed_json", "tiers", "must be an array" },
        { "string for an integer", "/runs", 400, "malformed_json", "token_cap", "must be an integer" },
        { "number for a string", "/runs", 400, "malformed_json", "tiers[0].tier_id", "must be a string" },
        { "array for an object", "/runs", 400, "malformed_json", "phases[0].scope", "must be an object" },
        { "string for a boolean", "/kill-switches/disable_all", 400, "malformed_json", "enabled", "must be true or false" },
        { "string for the run's network", "/runs", 400, "malformed_json", "sandbox.network", "must be true or false" },
        { "number for a phase's network", "/runs", 400, "malformed_json", "phases[0].sandbox.network", "must be true or false" },
        { "boolean for the sandbox", "/runs", 400, "malformed_json", "sandbox", "must be an object" },
        { "unknown sandbox member", "/runs", 400, "unknown_member", "phases[0].sandbox.hosts", "is not a member" },
        { "NUL in the name", "/runs", 422, "validation_failed", "name", "NUL" },
        { "NUL in a scope path", "/runs", 422, "validation_failed", "phases[0].scope.paths[1]", "NUL" },
        { "NUL in an approval reason", "/approvals", 422, "validation_failed", "reason", "NUL" },
    };

    private static string BodyFor(string why) => why switch
    {
        "unknown phase member" => $$"""{ {{Tier}}, "phases":[{"phase_id":"P1","tier_id":"T1","depends_on":["P0"]}] }""",
        "unknown top-level member" => $$"""{ "priority": 1, {{Tier}}, {{Phase}} }""",
        "string for an array" => $$"""{ "tiers":"T1", {{Phase}} }""",
        "string for an integer" => $$"""{ "token_cap":"lots", {{Tier}}, {{Phase}} }""",
        "number for a string" => $$"""{ "tiers":[{"tier_id":1}], {{Phase}} }""",
        "array for an object" => $$"""{ {{Tier}}, "phases":[{"phase_id":"P1","tier_id":"T1","scope":[]}] }""",
        "string for a boolean" => """{ "enabled":"maybe" }""",
        "string for the run's network" => $$"""{ "sandbox":{"network":"yes"}, {{Tier}}, {{Phase}} }""",
        "number for a phase's network" => $$$"""{ {{{Tier}}}, "phases":[{"phase_id":"P1","tier_id":"T1","sandbox":{"network":1}}] }""",
        "boolean for the sandbox" => $$"""{ "sandbox":true, {{Tier}}, {{Phase}} }""",
        "unknown sandbox member" => $$$"""{ {{{Tier}}}, "phases":[{"phase_id":"P1","tier_id":"T1","sandbox":{"network":true,"hosts":["nuget.org"]}}] }""",
        "NUL in the name" => $$"""{ "name":"a\u0000b", {{Tier}}, {{Phase}} }""",
        "NUL in a scope path" => $$$"""{ {{{Tier}}}, "phases":[{"phase_id":"P1","tier_id":"T1","scope":{"paths":["ok.txt","a\u0000b"]}}] }""",
        "NUL in an approval reason" => """{ "run_id":"seed", "reason":"x\u0000y" }""",
        _ => throw new ArgumentOutOfRangeException(nameof(why)),
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task A_refused_body_names_the_field_and_stores_nothing(string why, string path, int status, string code, string field, string message)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("seed"), ApiFactory.Json);
        var method = path.StartsWith("/kill-switches") ? HttpMethod.Put : HttpMethod.Post;
        var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(BodyFor(why), Encoding.UTF8, "application/json") });

        Assert.True(status == (int)response.StatusCode, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var problem = StrictJson.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), $"{why}: {problem.RootElement}");
        Assert.Contains(message, messages[0].GetString());
        await using var ctx = db.CreateContext();
        Assert.Equal(1, await ctx.Runs.CountAsync());
        Assert.Equal(0, await ctx.Approvals.CountAsync());
        Assert.Equal(0, await ctx.KillSwitches.CountAsync());
    }

    [Fact]
    public async Task A_nul_in_a_query_value_is_422_naming_it_not_a_database_error()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        // (A NUL in the path itself never reaches an endpoint: the server refuses to decode it.)
        foreach (var (url, field) in new[] { ("/runs?state=a%00b", "state"), ("/approvals?run_id=a%00b", "run_id"), ("/runs/x/events?last_event_id=1&x=%00", "x") })
        {
            var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(HttpStatusCode.UnprocessableEntity == response.StatusCode, $"{url}: {(int)response.StatusCode}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{url}: {problem}");
        }
    }
}
