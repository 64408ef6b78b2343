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

    public static async Task<BaselineProcess> StartAsync()
    {
        var port = Autopack.Tests.Infrastructure.LocalPostgres.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [typeof(BaselineServer).Assembly.Location, Verb, url]) { UseShellExecute = false };
        var process = System.Diagnostics.Process.Start(psi)!;
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try { if ((await http.GetAsync(url + "/health")).IsSuccessStatusCode) return new BaselineProcess(process, url); }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill();
        throw new TimeoutException("baseline server did not start");
    }
}

public sealed class BaselineProcess(System.Diagnostics.Process process, string url) : IAsyncDisposable
{
    public string Url { get; } = url;

    public async ValueTask DisposeAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
