using System.Net;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Web;

/// <summary>The shipped nginx.conf, run by real nginx in front of a recording upstream: every routing invariant and header.</summary>
[Trait("Category", "Process")]
public sealed class NginxRoutingTests : IAsyncLifetime, IDisposable
{
    private RecordingUpstream _upstream = null!;
    private FrontDoor _door = null!;
    private string _site = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync(r => "upstream:" + r.Path + r.QueryString);

        _site = Directory.CreateTempSubdirectory("autopack-site-").FullName;
        Directory.CreateDirectory(Path.Combine(_site, "assets"));
        await File.WriteAllTextAsync(Path.Combine(_site, "index.html"), "<!doctype html><title>Autopack</title><div id=root></div>");
        await File.WriteAllTextAsync(Path.Combine(_site, "assets", "app-abc123.js"), "console.log(1)");
        _door = await FrontDoor.StartAsync(_upstream.Url, _site);
    }

    [Theory]
    [InlineData("/api/auth/login", "/api/auth/login")]
    [InlineData("/api/auth/.well-known/jwks.json", "/api/auth/.well-known/jwks.json")]
    [InlineData("/api/runs?x=1", "/runs?x=1")]
    [InlineData("/api/runs/r-1/phases/P1", "/runs/r-1/phases/P1")]
    [InlineData("/api/version", "/version")]
    [InlineData("/health", "/health")]
    public async Task Api_paths_reach_the_backend_with_the_prefix_rules(string requested, string arrived)
    {
        var body = await _http.GetStringAsync(_door.Url + requested);
        Assert.Equal("upstream:" + arrived, body);
        Assert.Contains(arrived, _upstream.Received);
    }

    [Fact]
    public async Task Nginx_health_is_static_and_spa_routes_fall_back_to_index()
    {
        var health = await _http.GetAsync(_door.Url + "/nginx-health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("nginx-healthy", await health.Content.ReadAsStringAsync());
        var spa = await _http.GetAsync(_door.Url + "/runs/abc");
        Assert.Equal(HttpStatusCode.OK, spa.StatusCode);
        Assert.Contains("<div id=root>", await spa.Content.ReadAsStringAsync());
        Assert.Empty(_upstream.Received);
    }

    [Fact]
    public async Task Hashed_assets_are_cached_for_a_year_and_every_response_has_the_security_headers()
    {
        var asset = await _http.GetAsync(_door.Url + "/assets/app-abc123.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl!.ToString());
        Assert.Equal(TimeSpan.FromDays(365), asset.Headers.CacheControl.MaxAge);
        foreach (var path in new[] { "/", "/assets/app-abc123.js", "/api/runs", "/nginx-health" })
        {
            var r = await _http.GetAsync(_door.Url + path);
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.True(r.Headers.Contains("Referrer-Policy"), path);
            Assert.True(r.Headers.Contains("Permissions-Policy"), path);
        }
    }

    [Fact]
    public async Task Bodies_over_the_api_limit_are_refused_with_413()
    {
        var big = new ByteArrayContent(new byte[1024 * 1024 + 10]);
        var r = await _http.PostAsync(_door.Url + "/api/runs", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.DoesNotContain(_upstream.Received, p => p.StartsWith("/runs"));
        var small = await _http.PostAsync(_door.Url + "/api/runs", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task Event_streams_pass_through_unbuffered_with_the_prefix_stripped()
    {
        using var response = await _http.GetAsync(_door.Url + "/api/runs/r1/events?last_event_id=0", HttpCompletionOption.ResponseHeadersRead);
        await _upstream.Events.AssertUnbufferedAsync(response);
        Assert.Contains("/runs/r1/events?last_event_id=0", _upstream.Received);
    }

    public async Task DisposeAsync()
    {
        _upstream.Events.Release();
        await _door.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_site, recursive: true);
    }

    public void Dispose() => _http.Dispose();
}
