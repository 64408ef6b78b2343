using System.Diagnostics;
using Autopack.Core.Configuration;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The shipped front door served by the real nginx binary in front of a given API address, with a given site root
/// (the dashboard build, or a fixture): <c>Autopack.Web/nginx.conf</c> (plain HTTP) or <c>nginx-tls.conf</c> (TLS),
/// with the <c>nginx.d/</c> snippets, each template filled in the way the nginx image's envsubst step does.
/// Disposal stops nginx.
/// </summary>
public sealed class FrontDoor : IAsyncDisposable
{
    private readonly Process _nginx;
    private readonly string _dir;
    /// <summary>The plain HTTP listener (the whole front door for nginx.conf; ACME, health and redirects for nginx-tls.conf).</summary>
    public string Url { get; }
    /// <summary>The TLS listener, for nginx-tls.conf.</summary>
    public string? HttpsUrl { get; }
    public int? HttpsPort { get; }

    private FrontDoor(Process nginx, string dir, string url, int? httpsPort)
    {
        _nginx = nginx; _dir = dir; Url = url; HttpsPort = httpsPort;
        HttpsUrl = httpsPort is { } p ? $"https://localhost:{p}" : null;
    }

    public static Task<FrontDoor> StartAsync(string apiUpstream, string siteRoot) =>
        StartAsync("nginx.conf", siteRoot, new() { ["AUTOPACK_API_UPSTREAM"] = apiUpstream }, tls: false);

    public static Task<FrontDoor> StartTlsAsync(string apiUpstream, string siteRoot, string certificate, string key, string acmeWebroot) =>
        StartAsync("nginx-tls.conf", siteRoot, new()
        {
            ["AUTOPACK_API_UPSTREAM"] = apiUpstream,
            ["AUTOPACK_TLS_CERTIFICATE"] = certificate,
            ["AUTOPACK_TLS_CERTIFICATE_KEY"] = key,
            ["AUTOPACK_ACME_WEBROOT"] = acmeWebroot,
        }, tls: true);

    private static async Task<FrontDoor> StartAsync(string serverFile, string siteRoot, Dictionary<string, string> variables, bool tls)
    {
        var web = Path.Combine(StatePaths.FindRepoRoot(AppContext.BaseDirectory)!, "Autopack.Web");
        var dir = Directory.CreateTempSubdirectory("autopack-nginx-").FullName;
        var port = LocalPostgres.FreePort();
        int? httpsPort = tls ? LocalPostgres.FreePort() : null;
        // The image renders nginx.d/*.template into /etc/nginx/conf.d/autopack/; here into the temp folder.
        Directory.CreateDirectory(Path.Combine(dir, "autopack"));
        string Render(string text)
        {
            foreach (var (name, value) in variables) text = text.Replace("${" + name + "}", value);
            return text.Replace("/etc/nginx/conf.d/autopack/", Path.Combine(dir, "autopack") + "/")
                .Replace("root /usr/share/nginx/html;", $"root {siteRoot};");
        }
        foreach (var template in Directory.GetFiles(Path.Combine(web, "nginx.d"), "*.conf.template"))
            await File.WriteAllTextAsync(Path.Combine(dir, "autopack", Path.GetFileNameWithoutExtension(template)), Render(await File.ReadAllTextAsync(template)));
        var server = Render(await File.ReadAllTextAsync(Path.Combine(web, serverFile)))
            .Replace("listen 8080;", $"listen 127.0.0.1:{port};")
            .Replace("listen 8443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;");
        var temp = string.Join("\n", new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" }.Select(t => $"{t}_temp_path {dir}/{t};"));
        var main = $$"""
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            error_log stderr warn;
            pid {{dir}}/nginx.pid;
            events { worker_connections 1024; }
            http {
              include /etc/nginx/mime.types;
              access_log off;
              {{temp}}
            {{server}}
            }
            """;
        var conf = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(conf, main);
        var nginx = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-p", dir, "-c", conf, "-g", "daemon off;"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient();
        try
        {
            await Eventually.UntilAsync("nginx /nginx-health", async () => nginx.HasExited
                    ? throw new InvalidOperationException("nginx exited: " + await nginx.StandardError.ReadToEndAsync())
                    : (await http.GetAsync(url + "/nginx-health")).StatusCode,
                status => status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(10), tolerate: ex => ex is HttpRequestException);
            return new FrontDoor(nginx, dir, url, httpsPort);
        }
        catch (EventuallyException)
        {
            nginx.Kill(entireProcessTree: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true);
        await _nginx.WaitForExitAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
