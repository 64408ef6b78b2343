using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Autopack.Api.Extensions;
using Autopack.Core.Configuration;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Api;

/// <summary>docs/api-contract.md and the OpenAPI document say what the API serves: the same problem codes, the same members.</summary>
[Trait("Category", "Db")]
public class ContractTests
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Autopack.sln not found");

    private static HashSet<string> SourceCodes() => typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

    [Fact]
    public void Every_documented_problem_code_is_in_the_source_and_every_code_in_the_source_is_documented()
    {
        var doc = File.ReadAllText(Path.Combine(Repo, "docs", "api-contract.md"));
        var errors = doc[doc.IndexOf("## Errors", StringComparison.Ordinal)..doc.IndexOf("## Runs", StringComparison.Ordinal)];
        var documented = Regex.Matches(errors, @"^\| `([a-z_]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var source = SourceCodes();
        Assert.Empty(source.Except(documented)); // used but not documented
        Assert.Empty(documented.Except(source)); // documented but never sent

        // A code written as a bare literal would escape the list above.
        var literal = new Regex(@"(ApiProblem\.Create\(\s*\d+,\s*|ApiProblem\.Conflict\(\s*|\[""code""\]\s*=\s*|WriteProblemAsync\([^;]*?\d+,\s*|=>\s*\(\d+,\s*)""[a-z_]+""");
        var offenders = Directory.EnumerateFiles(Path.Combine(Repo, "Autopack.Api"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f => literal.Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();
        Assert.Empty(offenders);
    }

    /// <summary>The member names of a served JSON value equal those of its OpenAPI schema, all the way down.</summary>
    private static void AssertMatchesSchema(JsonElement root, JsonElement schema, JsonElement value, string at, List<string> problems)
    {
        while (schema.TryGetProperty("$ref", out var r)) schema = r.GetString()!.Split('/')[1..].Aggregate(root, (e, n) => e.GetProperty(n));
        foreach (var combinator in new[] { "oneOf", "anyOf" })
            if (schema.TryGetProperty(combinator, out var options))
                schema = options.EnumerateArray().FirstOrDefault(o => o.TryGetProperty("$ref", out _) || o.TryGetProperty("properties", out _) || o.TryGetProperty("items", out _), schema);
        while (schema.TryGetProperty("$ref", out var r2)) schema = r2.GetString()!.Split('/')[1..].Aggregate(root, (e, n) => e.GetProperty(n));
        if (value.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties))
        {
            var served = value.EnumerateObject().Select(p => p.Name).ToHashSet();
            var declared = properties.EnumerateObject().Select(p => p.Name).ToHashSet();
            if (!served.SetEquals(declared))
                problems.Add($"{at}: served [{string.Join(", ", served.Except(declared))}] undeclared, declared [{string.Join(", ", declared.Except(served))}] not served");
            foreach (var p in value.EnumerateObject())
                if (properties.TryGetProperty(p.Name, out var sub)) AssertMatchesSchema(root, sub, p.Value, $"{at}.{p.Name}", problems);
        }
        else if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items) && value.GetArrayLength() > 0)
            AssertMatchesSchema(root, items, value[0], $"{at}[0]", problems);
        else if (value.ValueKind == JsonValueKind.Object)
            problems.Add($"{at}: an object is served but the schema declares no members");
    }

    [Fact]
    public async Task The_openapi_document_declares_exactly_the_members_each_read_serves()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("c1"), ApiFactory.Json);
        var approval = await (await http.PostAsJsonAsync("/approvals", new { run_id = "c1", reason = "contract" }, ApiFactory.Json)).Content.ReadFromJsonAsync<JsonElement>();
        await using (var ctx = db.CreateContext())
        {
            ctx.PhaseAttempts.Add(new PhaseAttempt { RunId = "c1", PhaseId = "P1", Number = 1, Model = "m", Outcome = "FAILED", TestOutput = "x" });
            ctx.LlmUsageEvents.Add(new LlmUsageEvent { RunId = "c1", PhaseId = "P1", Provider = "openai", Model = "m", Role = "builder", PromptTokens = 1, CompletionTokens = 1 });
            await ctx.SaveChangesAsync();
        }
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        var problems = new List<string>();
        foreach (var (template, url) in new[]
        {
            ("/runs", "/runs"), ("/runs/{runId}", "/runs/c1"), ("/runs/{runId}/progress", "/runs/c1/progress"), ("/runs/{runId}/usage", "/runs/c1/usage"),
            ("/runs/{runId}/phases/{phaseId}", "/runs/c1/phases/P1"), ("/approvals", "/approvals"),
            ("/approvals/{approvalId}", $"/approvals/{approval.GetProperty("approval_id").GetString()}"), ("/kill-switches", "/kill-switches"),
        })
        {
            var response = paths.GetProperty(template).GetProperty("get").GetProperty("responses").GetProperty("200");
            if (!response.TryGetProperty("content", out var content)) { problems.Add($"{template}: no response schema"); continue; }
            var schema = content.EnumerateObject().First().Value.GetProperty("schema");
            AssertMatchesSchema(doc.RootElement, schema, await http.GetFromJsonAsync<JsonElement>(url), template, problems);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
