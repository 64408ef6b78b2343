using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Autopack.Tests.Api;

/// <summary>408, 413, 429 (queue timeout, full queue, per-client rate), 503, forwarded headers and security headers.</summary>
[Trait("Category", "Db")]
public class LimitsAndErrorsTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    /// <summary>Holds an exclusive lock on <c>runs</c> so reads of it block: a slow database, for real.</summary>
    private static async Task<NpgsqlConnection> LockRunsAsync(TestDatabase db)
    {
        var conn = new NpgsqlConnection(db.Connection.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE;", conn);
        await cmd.ExecuteNonQueryAsync();
        return conn;
    }

    private static async Task<string> CodeOf(HttpResponseMessage r) => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()!;

    [Fact]
    public async Task A_request_slower_than_the_timeout_is_408()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_REQUEST_TIMEOUT_MS"] = "500" });
        var http = api.Admin();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/runs")).StatusCode);
        await using var blocker = await LockRunsAsync(db);
        var response = await http.GetAsync("/runs");
        Assert.Equal(HttpStatusCode.RequestTimeout, response.StatusCode);
        Assert.Equal("request_timeout", await CodeOf(response));
    }

    [Fact]
    public async Task Past_the_concurrency_limit_requests_queue_then_get_429_with_retry_after()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db, new Dictionary<string, string?>
        {
            ["AUTOPACK_MAX_CONCURRENT_REQUESTS"] = "1", ["AUTOPACK_REQUEST_QUEUE_LIMIT"] = "1", ["AUTOPACK_REQUEST_QUEUE_TIMEOUT_MS"] = "400",
        });
        var http = api.Admin();
        await http.GetAsync("/runs"); // warm up
        var blocker = await LockRunsAsync(db);
        var holder = http.GetAsync("/runs"); // takes the only slot and waits on the lock
        await Task.Delay(300);
        var queued = http.GetAsync("/runs"); // waits in the queue, then times out
        await Task.Delay(50);
        var overflow = await http.GetAsync("/runs"); // queue full: refused at once
        Assert.Equal(HttpStatusCode.TooManyRequests, overflow.StatusCode);
        Assert.NotNull(overflow.Headers.RetryAfter);
        var timedOut = await queued;
        Assert.Equal(HttpStatusCode.TooManyRequests, timedOut.StatusCode);
        Assert.Equal("rate_limited", await CodeOf(timedOut));
        Assert.True(timedOut.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        await blocker.DisposeAsync(); // releases the lock
        Assert.Equal(HttpStatusCode.OK, (await holder).StatusCode);
    }

    [Fact]
    public async Task Per_client_rate_limit_is_keyed_on_the_real_ip_and_forwarded_headers_only_from_trusted_proxies()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?>
        {
            ["AUTOPACK_RATE_LIMIT_PER_MINUTE"] = "3", ["AUTOPACK_TRUSTED_PROXIES"] = "10.9.9.9",
        });
        var http = api.Admin();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/runs")).StatusCode);
        var limited = await http.GetAsync("/runs");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        // An untrusted caller cannot escape its bucket by claiming another address.
        var spoof = new HttpRequestMessage(HttpMethod.Get, "/runs");
        spoof.Headers.Add("X-Forwarded-For", "203.0.113.7");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.SendAsync(spoof)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode); // probes are exempt

        // Behind the trusted proxy, each real client has its own bucket.
        api.ClientAddress = IPAddress.Parse("10.9.9.9");
        foreach (var client in new[] { "198.51.100.1", "198.51.100.2" })
        {
            var viaProxy = new HttpRequestMessage(HttpMethod.Get, "/runs");
            viaProxy.Headers.Add("X-Forwarded-For", client);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(viaProxy)).StatusCode);
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_MAX_BODY_BYTES"] = "65536" });
        var plan = RunPlans.Simple("big");
        plan["name"] = new string('x', 100_000);
        var response = await api.Admin().PostAsJsonAsync("/runs", plan, Json);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", await CodeOf(response));
        await using var ctx = db.CreateContext();
        Assert.Equal(0, await ctx.Runs.CountAsync());
    }

    [Fact]
    public async Task Security_headers_on_every_response_and_no_cors_unless_configured()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var request = new HttpRequestMessage(HttpMethod.Get, "/runs");
        request.Headers.Add("Origin", "https://evil.example");
        var response = await api.Admin().SendAsync(request);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.True(response.Headers.Contains("Content-Security-Policy"));
        Assert.True(response.Headers.Contains("Referrer-Policy"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));

        await using var withCors = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_CORS_ORIGINS"] = "https://dash.example" });
        var allowed = new HttpRequestMessage(HttpMethod.Get, "/runs");
        allowed.Headers.Add("Origin", "https://dash.example");
        Assert.Equal("https://dash.example", (await withCors.Admin().SendAsync(allowed)).Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task An_unreachable_database_is_503_on_health_and_endpoints_then_recovers()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-503-").FullName;
        var server = await LocalPostgres.StartAsync(Path.Combine(dir, "data"));
        try
        {
            await server.EnsureDatabaseAsync("autopack");
            var url = server.Url("autopack");
            var connection = Autopack.Core.Configuration.DatabaseConnection.Parse(url, dir);
            await using (var ctx = Autopack.Core.Data.AutopackDataRegistration.CreateContext(connection))
                await Autopack.Core.Data.SchemaGuard.MigrateAsync(ctx);
            var db = new TestDatabase { Provider = TestDatabase.Postgres, Url = url, Connection = connection, StateRoot = dir };
            await using var api = new ApiFactory(db);
            var http = api.Admin();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/runs")).StatusCode);

            await server.StopAsync();
            NpgsqlConnection.ClearAllPools();
            var health = await api.Anonymous().GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("unreachable", (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("database").GetString());
            var list = await http.GetAsync("/runs"); // the API-key lookup itself needs the database
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
            Assert.Equal("database_unavailable", await CodeOf(list));
            Assert.NotNull(list.Headers.RetryAfter);

            await server.RestartAsync();
            await Eventually.UntilAsync("health after the restart", async () => (await api.Anonymous().GetAsync("/health")).StatusCode,
                status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), interval: TimeSpan.FromMilliseconds(200));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/runs")).StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Limits_are_bound_once_from_their_variables_into_validated_options_that_kestrel_reads_and_out_of_range_stops_the_start()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using (var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_MAX_BODY_BYTES"] = "65536", ["AUTOPACK_SSE_POLL_MS"] = "75" }))
        {
            api.Anonymous();
            var limits = api.Services.GetRequiredService<IOptions<Autopack.Api.Extensions.ApiLimitsOptions>>().Value;
            Assert.Equal((65536L, 75), (limits.MaxBodyBytes, limits.SsePollMs));
            // One read: Kestrel's limit is the options' value, not a second lookup with its own default.
            Assert.Equal(65536L, api.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        }
        var bad = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_MAX_BODY_BYTES"] = "10" });
        var ex = Assert.ThrowsAny<Exception>(() => bad.Anonymous());
        Assert.Contains("MaxBodyBytes", ex.ToString()); // the generated validator names the member
        try { await bad.DisposeAsync(); } catch (Exception) { /* a host that never started */ }
    }
}
