using System.Diagnostics;
using Autopack.Core.Configuration;

namespace Autopack.Bench.Harness;

/// <summary>An Autopack service started from its Release build as its own process, as in production.</summary>
/// <remarks>
/// Not the tests' <c>Autopack.Tests/Infrastructure/ServiceProcess</c> (<c>duplicates</c> finds no shared run of 4 lines or more; only
/// the dll path rule is alike): this one measures, so it may run another checkout's builds (<c>AUTOPACK_BENCH_SERVICES_ROOT</c>,
/// for a before/after in one period), gives the service its port and returns once <c>/health</c> answers, echoes the service's
/// errors live instead of keeping its output in memory, and reads its resident memory; the tests' wrapper keeps the output
/// for assertions, scrubs the developer's <c>AUTOPACK_*</c> variables, and signals, kills and waits for exit in the ways fault
/// tests need.
/// </remarks>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    public string BaseUrl { get; }
    public int Pid => _process.Id;

    private ServiceProcess(Process process, string baseUrl) { _process = process; BaseUrl = baseUrl; }

    public static async Task<ServiceProcess> StartAsync(string project, IDictionary<string, string> env, string healthPath = "/health")
    {
        // AUTOPACK_BENCH_SERVICES_ROOT: another checkout's builds (e.g. the branch point) measured by this bench, for a before/after in one period.
        var root = Environment.GetEnvironmentVariable("AUTOPACK_BENCH_SERVICES_ROOT") is { Length: > 0 } other ? other
            : StatePaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Autopack.sln not found");
        var config = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
        var dll = Path.Combine(root, project, "bin", config, "net10.0", project + ".dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: run the bench with `dotnet run -c {config} --project Autopack.Bench`.");
        var port = Autopack.Tests.Infrastructure.LocalPostgres.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet", [dll]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ASPNETCORE_URLS"] = baseUrl;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{project}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, baseUrl);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{project} exited with {process.ExitCode}");
            try { if ((await http.GetAsync(baseUrl + healthPath)).IsSuccessStatusCode) return service; }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{project} not healthy in 60 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Resident memory of the process in bytes (from /proc).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
