using System.Diagnostics;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// One running replica of a resource: started with its environment, output appended to its log file,
/// restarted with backoff when it crashes, health polled over HTTP, stopped with SIGTERM then kill.
/// </summary>
public sealed class ManagedProcess(string name, ProcessStartInfo start, string logFile, string? healthUrl) : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task? _supervisor;

    public string Name { get; } = name;
    public string State { get; private set; } = "starting";
    public string Health { get; private set; } = healthUrl is null ? "n/a" : "unknown";
    public int Restarts { get; private set; }
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public void Start() => _supervisor = Task.Run(SuperviseAsync);

    private async Task SuperviseAsync()
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!_stopping.IsCancellationRequested)
        {
            using (var log = new StreamWriter(logFile, append: true) { AutoFlush = true })
            {
                await log.WriteLineAsync($"--- {DateTime.UtcNow:O} starting {start.FileName} {string.Join(' ', start.ArgumentList)}");
                _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name}: could not start {start.FileName}");
                State = "running";
                var startedAt = DateTime.UtcNow;
                var pump = Task.WhenAll(Pump(_process.StandardOutput, log), Pump(_process.StandardError, log));
                using var health = healthUrl is null ? null : Task.Run(() => WatchHealthAsync(_process));
                try { await _process.WaitForExitAsync(_stopping.Token); }
                catch (OperationCanceledException) { break; }
                await pump;
                await log.WriteLineAsync($"--- {DateTime.UtcNow:O} exited with {_process.ExitCode}");
                if (DateTime.UtcNow - startedAt > TimeSpan.FromMinutes(1)) backoff = TimeSpan.FromSeconds(1);
            }
            State = $"exited ({_process.ExitCode}), restarting in {backoff.TotalSeconds:0}s";
            Health = "down";
            try { await Task.Delay(backoff, _stopping.Token); } catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromSeconds(Math.Min(30, backoff.TotalSeconds * 2));
            Restarts++;
        }
    }

    private static async Task Pump(StreamReader reader, StreamWriter log)
    {
        while (await reader.ReadLineAsync() is { } line)
            lock (log) log.WriteLine(line);
    }

    private async Task WatchHealthAsync(Process process)
    {
        while (!process.HasExited && !_stopping.IsCancellationRequested)
        {
            try { Health = (await Http.GetAsync(healthUrl)).IsSuccessStatusCode ? "healthy" : "unhealthy"; }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { Health = "unreachable"; }
            try { await Task.Delay(1000, _stopping.Token); } catch (OperationCanceledException) { return; }
        }
    }

    public async Task<bool> WaitHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Health != "healthy")
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(200, ct);
        }
        return true;
    }

    /// <summary>SIGTERM (services finish or release their work), then kill the whole tree after the grace period.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        _stopping.Cancel();
        var p = _process;
        if (p is not null && !p.HasExited)
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", p.Id.ToString()]) { UseShellExecute = false })) await term!.WaitForExitAsync();
            using var wait = new CancellationTokenSource(grace);
            try { await p.WaitForExitAsync(wait.Token); } catch (OperationCanceledException) { }
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            else KillTreeOf(p);
        }
        if (_supervisor is not null) await _supervisor.ContinueWith(_ => { });
        State = "stopped";
        Health = "down";
    }

    /// <summary>Children (e.g. the Vite server under npm) can outlive their parent; make sure they go too.</summary>
    private static void KillTreeOf(Process p)
    {
        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(10));
}
