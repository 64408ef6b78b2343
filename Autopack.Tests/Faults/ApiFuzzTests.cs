using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Autopack.Tests.Faults;

/// <summary>
/// Throws malformed JSON, huge and deeply nested bodies, wrong types, unknown members, NUL characters, unicode, path
/// traversal and a reused Idempotency-Key at every operation of the API's own OpenAPI document. Bodies of the typed
/// classes are built from each operation's request schema, so every member of every request is hit. Only 4xx may come
/// back, every problem has a stable code and parses strictly (no duplicate keys), and the database must not change.
/// </summary>
[Trait("Category", "Db")]
public class ApiFuzzTests(ITestOutputHelper output)
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

    /// <summary>Bodies built from the operation's request schema: each member with a NUL, each with the wrong type, one unknown member.</summary>
    private static IEnumerable<(string Name, HttpContent Content)> SchemaBodies(JsonElement root, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var requestBody)
            || !requestBody.GetProperty("content").TryGetProperty("application/json", out var media)
            || !media.TryGetProperty("schema", out var schema)) yield break;
        static HttpContent Json(JsonNode? node) => new StringContent(node?.ToJsonString() ?? "null", Encoding.UTF8, "application/json");
        yield return ("NUL in every string", Json(Instance(root, schema, Mutation.Nul, 0)));
        yield return ("wrong type in every member", Json(Instance(root, schema, Mutation.WrongType, 0)));
        var unknown = Instance(root, schema, Mutation.None, 0) as JsonObject ?? new JsonObject();
        unknown["depends_on"] = new JsonArray("P0");
        yield return ("unknown member", Json(unknown));
    }

    private enum Mutation { None, Nul, WrongType }

    private static readonly HashSet<string> MustRefuse =
        ["NUL in every string", "wrong type in every member", "unknown member", "NUL in the query", "idempotency key reused"];

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var r))
            schema = r.GetString()!.Split('/')[1..].Aggregate(root, (e, name) => e.GetProperty(name));
        return schema;
    }

    private static string TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
            return schema.TryGetProperty("properties", out _) ? "object" : schema.TryGetProperty("items", out _) ? "array" : "string";
        if (type.ValueKind == JsonValueKind.String) return type.GetString()!;
        return type.EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t != "null") ?? "null";
    }

    private static JsonNode? Instance(JsonElement root, JsonElement schema, Mutation mutation, int depth)
    {
        schema = Resolve(root, schema);
        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
            if (schema.TryGetProperty(combinator, out var options))
                return Instance(root, options.EnumerateArray().First(o => !(o.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null")), mutation, depth);
        var type = TypeOf(schema);
        if (mutation == Mutation.WrongType && depth > 0)
            return type switch { "string" => JsonValue.Create(123), "integer" or "number" => JsonValue.Create("lots"), "boolean" => JsonValue.Create("maybe"), "array" => JsonValue.Create("x"), _ => new JsonArray(1) };
        switch (type)
        {
            case "object":
                var obj = new JsonObject();
                if (depth < 6 && schema.TryGetProperty("properties", out var properties))
                    foreach (var property in properties.EnumerateObject()) obj[property.Name] = Instance(root, property.Value, mutation, depth + 1);
                return obj;
            case "array":
                return depth < 6 && schema.TryGetProperty("items", out var items) ? new JsonArray(Instance(root, items, mutation, depth + 1)) : new JsonArray();
            case "integer" or "number": return JsonValue.Create(1);
            case "boolean": return JsonValue.Create(true);
            default: return JsonValue.Create(mutation == Mutation.Nul ? "a\u0000b" : "T1");
        }
    }

    private static async Task<Dictionary<string, int>> SnapshotAsync(TestDatabase db)
    {
        await using var ctx = db.CreateContext();
        return new Dictionary<string, int>
        {
            ["runs"] = await ctx.Runs.CountAsync(), ["phases"] = await ctx.Phases.CountAsync(), ["tiers"] = await ctx.Tiers.CountAsync(),
            ["approvals"] = await ctx.Approvals.CountAsync(), ["events"] = await ctx.RunEvents.CountAsync(), ["outbox"] = await ctx.OutboxMessages.CountAsync(),
            ["users"] = await ctx.Users.CountAsync(), ["keys"] = await ctx.ApiKeys.CountAsync(), ["switches"] = await ctx.KillSwitches.CountAsync(),
            ["dead"] = await ctx.DeadLetters.CountAsync(), ["idempotency"] = await ctx.IdempotencyRecords.CountAsync(),
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
        var seed = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = new StringContent(JsonSerializer.Serialize(RunPlans.Simple("seed")), Encoding.UTF8, "application/json") };
        seed.Headers.Add("Idempotency-Key", "fuzz-key");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(seed)).StatusCode);
        var before = await SnapshotAsync(db);

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var operations = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Path: p.Name, Method: m.Name.ToUpperInvariant(), Operation: m.Value))).ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} operations documented");

        var failures = new List<string>();
        var perClass = new SortedDictionary<string, int>();
        async Task SendAsync(HttpRequestMessage request, string bodyClass, HttpCompletionOption read = HttpCompletionOption.ResponseContentRead)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await http.SendAsync(request, read, cts.Token);
            perClass[bodyClass] = perClass.GetValueOrDefault(bodyClass) + 1;
            var status = (int)response.StatusCode;
            var what = $"{request.Method} {request.RequestUri!.OriginalString[..Math.Min(80, request.RequestUri.OriginalString.Length)]} [{bodyClass}] → {status}";
            if (status >= 500) { failures.Add(what); return; }
            // Typed garbage must be refused; untyped bodies may be ignored by routes that take none (POST /admin/dlq/retry-all).
            if (status < 400) { if (MustRefuse.Contains(bodyClass)) failures.Add(what + " (accepted)"); return; }
            var problem = await response.Content.ReadAsStringAsync(cts.Token);
            if (status != 404 && status != 405 && !problem.Contains("\"code\"")) failures.Add($"{what} without a code: {problem[..Math.Min(200, problem.Length)]}");
            if (problem.Length > 0 && StrictJson.Problem(problem) is { } strict) failures.Add($"{what} is not strict JSON: {strict}");
        }

        foreach (var (path, method, operation) in operations)
        {
            if (path.Contains("/events")) continue; // streams are fuzzed through their path values below, with a short read
            var paths = path.Contains('{') ? PathValues.Select(v => System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", v)).ToList() : [path];
            foreach (var concrete in paths)
            {
                var bodies = method is "POST" or "PUT" ? Bodies().Concat(SchemaBodies(doc.RootElement, operation)).ToList() : [("none", (HttpContent)null!)];
                foreach (var (bodyName, content) in bodies)
                    await SendAsync(new HttpRequestMessage(new HttpMethod(method), concrete) { Content = content }, bodyName);
            }
            // A NUL in every documented query parameter (and one undocumented).
            var query = (operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).Append("x")
                .Select(name => $"{name}=a%00b");
            var withQuery = System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", "seed") + "?" + string.Join('&', query);
            await SendAsync(new HttpRequestMessage(new HttpMethod(method), withQuery)
            {
                Content = method is "POST" or "PUT" ? new StringContent("{}", Encoding.UTF8, "application/json") : null,
            }, "NUL in the query", path.Contains("/events") ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        }
        foreach (var value in PathValues)
            await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/runs/{value}/events"), "stream path", HttpCompletionOption.ResponseHeadersRead);
        // The seed's Idempotency-Key with other bodies: refused, never a second run or the seed's answer.
        foreach (var plan in new[] { RunPlans.Simple("other"), RunPlans.Simple("seed", phases: 3), RunPlans.Simple() })
        {
            var reuse = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = new StringContent(JsonSerializer.Serialize(plan), Encoding.UTF8, "application/json") };
            reuse.Headers.Add("Idempotency-Key", "fuzz-key");
            await SendAsync(reuse, "idempotency key reused");
        }

        var sent = perClass.Values.Sum();
        output.WriteLine($"{sent} requests over {operations.Count} operations: " + string.Join(", ", perClass.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests misbehaved:\n" + string.Join("\n", failures.Take(40)));
        Assert.Equal(before, await SnapshotAsync(db));
    }
}
