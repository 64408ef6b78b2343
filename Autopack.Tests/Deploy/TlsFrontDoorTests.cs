using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Autopack.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Autopack.Tests.Deploy;

/// <summary>
/// The shipped TLS front door (Autopack.Web/nginx-tls.conf) on real nginx with a certificate made here by openssl,
/// in front of a recording upstream: HTTPS with HSTS and the security headers, HTTP redirected except the ACME
/// webroot and /nginx-health, TLS 1.2 and 1.3, and a live event stream through TLS.
/// </summary>
[Trait("Category", "Process")]
public sealed class TlsFrontDoorTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private RecordingUpstream _upstream = null!;
    private FrontDoor _door = null!;
    private string _dir = null!;
    private X509Certificate2 _certificate = null!;
    private HttpClient _https = null!;
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false });

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync(r => $"upstream:{r.Path}{r.QueryString} proto:{r.Headers["X-Forwarded-Proto"]}");

        _dir = Directory.CreateTempSubdirectory("autopack-tls-").FullName;
        var site = Directory.CreateDirectory(Path.Combine(_dir, "site")).FullName;
        Directory.CreateDirectory(Path.Combine(site, "assets"));
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<!doctype html><title>Autopack</title><div id=root></div>");
        await File.WriteAllTextAsync(Path.Combine(site, "assets", "app-abc123.js"), "console.log(1)");
        var webroot = Directory.CreateDirectory(Path.Combine(_dir, "acme", ".well-known", "acme-challenge")).Parent!.Parent!.FullName;
        await File.WriteAllTextAsync(Path.Combine(webroot, ".well-known", "acme-challenge", "token-123"), "token-123.thumbprint");

        var (cert, key) = (Path.Combine(_dir, "fullchain.pem"), Path.Combine(_dir, "privkey.pem"));
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert);
        _certificate = X509Certificate2.CreateFromPemFile(cert, key);
        _door = await FrontDoor.StartTlsAsync(_upstream.Url, site, cert, key, webroot);
        // Trust exactly the certificate this test made (a pin, not "accept anything").
        _https = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == _certificate.Thumbprint },
        });
    }

    private static async Task OpenSslAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var text = await p.StandardError.ReadToEndAsync() + await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, "openssl failed: " + text);
    }

    [Fact]
    public async Task Https_serves_every_route_with_hsts_and_the_security_headers()
    {
        foreach (var (path, body) in new[] { ("/", "<div id=root>"), ("/runs/abc", "<div id=root>"), ("/assets/app-abc123.js", "console.log"),
                     ("/api/runs?x=1", "upstream:/runs?x=1 proto:https"), ("/api/auth/login", "upstream:/api/auth/login"), ("/health", "upstream:/health"),
                     ("/nginx-health", "nginx-healthy"), ("/assets/missing.js", "") })
        {
            var r = await _https.GetAsync(_door.HttpsUrl + path);
            output.WriteLine($"GET {_door.HttpsUrl}{path} -> {(int)r.StatusCode}; Strict-Transport-Security: {string.Join(",", r.Headers.TryGetValues("Strict-Transport-Security", out var h) ? h : [])}");
            Assert.Equal(path == "/assets/missing.js" ? HttpStatusCode.NotFound : HttpStatusCode.OK, r.StatusCode);
            Assert.Contains(body, await r.Content.ReadAsStringAsync());
            // Errors too (the `always` flag): a 404 must not drop HSTS.
            Assert.Equal("max-age=63072000; includeSubDomains", r.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.True(r.Headers.Contains("Referrer-Policy") && r.Headers.Contains("Permissions-Policy"), path);
        }
        Assert.Contains("/runs?x=1", _upstream.Received);
    }

    [Fact]
    public async Task Plain_http_redirects_to_https_except_the_acme_webroot_and_nginx_health()
    {
        foreach (var path in new[] { "/", "/runs/abc?tab=events", "/api/runs", "/health", "/api/auth/login" })
        {
            var r = await _http.GetAsync(_door.Url + path);
            output.WriteLine($"GET {_door.Url}{path} -> {(int)r.StatusCode} Location: {r.Headers.Location}");
            Assert.Equal(HttpStatusCode.MovedPermanently, r.StatusCode);
            Assert.Equal("https://127.0.0.1" + path, r.Headers.Location!.ToString());
            // HSTS is meaningless (and ignored by browsers) over plain HTTP.
            Assert.False(r.Headers.Contains("Strict-Transport-Security"));
        }
        Assert.Empty(_upstream.Received);

        var challenge = await _http.GetAsync(_door.Url + "/.well-known/acme-challenge/token-123");
        output.WriteLine($"GET {_door.Url}/.well-known/acme-challenge/token-123 -> {(int)challenge.StatusCode} {challenge.Content.Headers.ContentType}");
        Assert.Equal(HttpStatusCode.OK, challenge.StatusCode);
        Assert.Equal("token-123.thumbprint", await challenge.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", challenge.Content.Headers.ContentType!.MediaType);
        var unknown = await _http.GetAsync(_door.Url + "/.well-known/acme-challenge/other");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var health = await _http.GetAsync(_door.Url + "/nginx-health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("nginx-healthy", await health.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Tls_1_2_and_1_3_are_accepted(SslProtocols protocol)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _door.HttpsPort!.Value);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, c, _, _) => c?.GetCertHashString() == _certificate.Thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocol });
        output.WriteLine($"{protocol}: negotiated {tls.SslProtocol} {tls.NegotiatedCipherSuite}");
        Assert.Equal(protocol, tls.SslProtocol);
    }

    [Fact]
    public async Task An_event_stream_through_tls_delivers_each_event_as_it_happens()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _door.HttpsUrl + "/api/runs/r1/events?last_event_id=0")
            { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await _https.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        await _upstream.Events.AssertUnbufferedAsync(response);
        Assert.Contains("/runs/r1/events?last_event_id=0", _upstream.Received);
    }

    public async Task DisposeAsync()
    {
        _upstream.Events.Release();
        await _door.DisposeAsync();
        await _upstream.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    public void Dispose()
    {
        _https.Dispose();
        _http.Dispose();
    }
}
