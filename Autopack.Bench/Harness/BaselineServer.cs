namespace Autopack.Bench.Harness;

/// <summary>
/// The HTTP baseline: an empty ASP.NET Core endpoint in its own process (this program's hidden
/// <c>baseline-server</c> verb), so API figures are compared with the same machine's floor.
/// </summary>
public static class BaselineServer
{
    public const string Verb = "baseline-server";

    public static async Task<int> RunAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok());
        app.MapGet("/empty", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }

    public static Task<BaselineProcess> StartAsync() =>
        BaselineProcess.StartAsync(Verb, url => new HttpRequestMessage(HttpMethod.Get, url + "/health"));
}

/// <summary>A baseline server: this program run again with a hidden verb and a loopback URL, in a process of its own.</summary>
public sealed class BaselineProcess(System.Diagnostics.Process process, string url) : IAsyncDisposable
{
    public string Url { get; } = url;

    /// <summary>Starts <c>&lt;this program&gt; <paramref name="verb"/> &lt;url&gt;</c> and waits until <paramref name="probe"/> is answered with a success.</summary>
    public static async Task<BaselineProcess> StartAsync(string verb, Func<string, HttpRequestMessage> probe)
    {
        var port = Autopack.Tests.Infrastructure.LocalPostgres.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [typeof(BaselineProcess).Assembly.Location, verb, url]) { UseShellExecute = false };
        var process = System.Diagnostics.Process.Start(psi)!;
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try { if ((await http.SendAsync(probe(url))).IsSuccessStatusCode) return new BaselineProcess(process, url); }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill();
        throw new TimeoutException($"{verb} did not start");
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
