using System.Net;
using System.Text;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Faults;

/// <summary>
/// Throws malformed JSON, huge and deeply nested bodies, wrong types, unicode and path traversal at every
/// operation of the API's own OpenAPI document: only 4xx may come back, and the database must not change.
/// </summary>
public class ApiFuzzTests
{
    private static readonly string[] PathValues =
        ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "ü🚀名前", new string('x', 3000), "' OR 1=1 --", "a%20b%2520", "run-1%2F..%2F..", "-1"];

    private static IEnumerable<(string Name, HttpContent Content)> Bodies()
    {
        yield return ("not json", new StringContent("this is not json {", Encoding.UTF8, "application/json"));
        yield return ("truncated", new StringContent("{\"tiers\":[{\"tier_id\":\"T1\"", Encoding.UTF8, "application/json"));
        yield return ("array", new StringContent("[1,2,3]", Encoding.UTF8, "application/json"));
        yield return ("number", new StringContent("42", Encoding.UTF8, "application/json"));
        yield return ("deep", new StringContent(new string('[', 5000) + new string(']', 5000), Encoding.UTF8, "application/json"));
        yield return ("wrong types", new StringContent(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["run_id"] = 1, ["name"] = 2, ["tiers"] = "x", ["phases"] = 5, ["username"] = 1, ["password"] = 2, ["enabled"] = "maybe",
            ["token_cap"] = "lots", ["reason"] = 5, ["role"] = 7, ["kind"] = 9, ["comment"] = 1, ["phase_id"] = false, ["max_phases"] = "many",
        }), Encoding.UTF8, "application/json"));
        yield return ("traversal plan", new StringContent(JsonSerializer.Serialize(new
        {
            run_id = "../../x", tiers = new[] { new { tier_id = "T1\u0000" } },
            phases = new[] { new { phase_id = "P🚀", tier_id = "T1", scope = new { paths = new[] { "../../etc/passwd", "/abs", ".git/hooks/pre-commit", "a\u0000b" } } } },
        }), Encoding.UTF8, "application/json"));
        yield return ("huge", new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('a', 2 * 1024 * 1024) + "\"}")) { Headers = { ContentType = new("application/json") } });
        yield return ("wrong media type", new StringContent("<xml/>", Encoding.UTF8, "application/xml"));
    }

    private static async Task<Dictionary<string, int>> SnapshotAsync(TestDatabase db)
    {
        await using var ctx = db.CreateContext();
        return new Dictionary<string, int>
        {
            ["runs"] = await ctx.Runs.CountAsync(), ["phases"] = await ctx.Phases.CountAsync(), ["tiers"] = await ctx.Tiers.CountAsync(),
            ["approvals"] = await ctx.Approvals.CountAsync(), ["events"] = await ctx.RunEvents.CountAsync(), ["outbox"] = await ctx.OutboxMessages.CountAsync(),
            ["users"] = await ctx.Users.CountAsync(), ["keys"] = await ctx.ApiKeys.CountAsync(), ["switches"] = await ctx.KillSwitches.CountAsync(),
            ["dead"] = await ctx.DeadLetters.CountAsync(),
            ["queued"] = await ctx.Phases.CountAsync(p => p.State == Core.Domain.PhaseState.Queued),
        };
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Every_operation_answers_garbage_with_4xx_and_changes_nothing(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_RATE_LIMIT_PER_MINUTE"] = "1000000" });
        var http = api.Admin();
        await http.PostAsync("/runs", new StringContent(JsonSerializer.Serialize(RunPlans.Simple("seed")), Encoding.UTF8, "application/json"));
        var before = await SnapshotAsync(db);

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var operations = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Path: p.Name, Method: m.Name.ToUpperInvariant()))).ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} operations documented");

        var failures = new List<string>();
        var sent = 0;
        foreach (var (path, method) in operations)
        {
            if (path.Contains("/events")) continue; // streams are fuzzed through their path values below, with a short read
            var paths = path.Contains('{') ? PathValues.Select(v => System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", v)) : [path];
            foreach (var concrete in paths)
            {
                var bodies = method is "POST" or "PUT" ? Bodies().ToList() : [("none", (HttpContent)null!)];
                foreach (var (bodyName, content) in bodies)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), concrete) { Content = content };
                    var response = await http.SendAsync(request);
                    sent++;
                    var status = (int)response.StatusCode;
                    var problem = status >= 400 ? await response.Content.ReadAsStringAsync() : "";
                    if (status >= 500 || (status >= 400 && status != 404 && status != 405 && !problem.Contains("\"code\"")))
                        failures.Add($"{method} {concrete[..Math.Min(80, concrete.Length)]} [{bodyName}] → {status} {problem[..Math.Min(200, problem.Length)]}");
                }
            }
        }
        foreach (var value in PathValues)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var r = await http.GetAsync($"/runs/{value}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            if ((int)r.StatusCode >= 500) failures.Add($"GET /runs/{value}/events → {(int)r.StatusCode}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests misbehaved:\n" + string.Join("\n", failures.Take(40)));
        Assert.Equal(before, await SnapshotAsync(db));
    }
}
