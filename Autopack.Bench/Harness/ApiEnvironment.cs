namespace Autopack.Bench.Harness;

/// <summary>Environment for an API process under load: limits raised so the bench measures the service, not the throttles.</summary>
public static class ApiEnvironment
{
    public const string ApiKey = "bench-admin-key-0123456789abcdef0123456789abcdef";
    private static readonly string[] ReadOnlyContext = ["README.md"];

    public static Dictionary<string, string> For(string databaseUrl, string stateRoot) => new()
    {
        ["DATABASE_URL"] = databaseUrl,
        ["AUTOPACK_STATE_DIR"] = stateRoot,
        ["AUTOPACK_API_KEY"] = ApiKey,
        ["AUTOPACK_RATE_LIMIT_PER_MINUTE"] = "10000000",
        ["AUTOPACK_MAX_CONCURRENT_REQUESTS"] = "5000",
        ["AUTOPACK_REQUEST_QUEUE_LIMIT"] = "10000",
        ["AUTOPACK_SSE_MAX_CONNECTIONS"] = "20000",
        ["AUTOPACK_SSE_MAX_PER_CLIENT"] = "20000",
    };

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add("X-API-Key", ApiKey);
        return request;
    }

    /// <summary><c>POST /runs</c> with one tier and <paramref name="phases"/> phases on disjoint files.</summary>
    public static HttpRequestMessage CreateRun(string baseUrl, string runId, int phases = 10) =>
        Request(HttpMethod.Post, baseUrl + "/runs", JsonContent.Create(new
        {
            run_id = runId,
            name = "bench plan",
            tiers = new[] { new { tier_id = "T1", name = "Tier one", description = "first" } },
            phases = Enumerable.Range(1, phases).Select(i => new
            {
                phase_id = $"P{i}", tier_id = "T1", name = $"Phase {i}", description = $"Do step {i}", complexity = "low",
                scope = new { paths = new[] { $"src/file{i}.txt" }, read_only_context = ReadOnlyContext },
                test_command = "true",
            }).ToArray(),
        }));
}
