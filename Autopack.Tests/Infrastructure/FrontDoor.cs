using System.Diagnostics;
using Autopack.Core.Configuration;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The shipped Autopack.Web/nginx.conf served by the real nginx binary in front of a given API address,
/// with a given site root (the dashboard build, or a fixture). Disposal stops nginx.
/// </summary>
public sealed class FrontDoor : IAsyncDisposable
{
    private readonly Process _nginx;
    private readonly string _dir;
    public string Url { get; }

    private FrontDoor(Process nginx, string dir, string url) { _nginx = nginx; _dir = dir; Url = url; }

    public static async Task<FrontDoor> StartAsync(string apiUpstream, string siteRoot)
    {
        var repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
        var dir = Directory.CreateTempSubdirectory("autopack-nginx-").FullName;
        var port = LocalPostgres.FreePort();
        var server = (await File.ReadAllTextAsync(Path.Combine(repo, "Autopack.Web", "nginx.conf")))
            .Replace("${AUTOPACK_API_UPSTREAM}", apiUpstream)
            .Replace("listen 8080;", $"listen 127.0.0.1:{port};")
            .Replace("root /usr/share/nginx/html;", $"root {siteRoot};");
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
        for (var i = 0; i < 100; i++)
        {
            if (nginx.HasExited) throw new InvalidOperationException("nginx exited: " + await nginx.StandardError.ReadToEndAsync());
            try { if ((await http.GetAsync(url + "/nginx-health")).IsSuccessStatusCode) return new FrontDoor(nginx, dir, url); }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        nginx.Kill(entireProcessTree: true);
        throw new TimeoutException("nginx did not start");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true);
        await _nginx.WaitForExitAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
