using System.Collections.Concurrent;
using System.Diagnostics;
using Autopack.Core.Configuration;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real executor process (<c>dotnet Autopack.Executor.dll</c> from its build output) on a test database,
/// pointed at a <see cref="FakeOpenAiServer"/> as its OpenAI-compatible provider ("compat").
/// </summary>
public sealed class ExecutorProcess : IAsyncDisposable
{
    private readonly Process _process;
    public ConcurrentQueue<string> Output { get; } = new();
    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private ExecutorProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public static string DllPath()
    {
        var bin = AppContext.BaseDirectory;
        var root = StatePaths.FindRepoRoot(bin) ?? throw new InvalidOperationException("Autopack.sln not found above " + bin);
        var configuration = bin.Contains("/bin/Release/") ? "Release" : "Debug";
        var dll = Path.Combine(root, "Autopack.Executor", "bin", configuration, "net10.0", "Autopack.Executor.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build Autopack.Executor first", dll);
    }

    /// <summary>Environment for an executor on <paramref name="db"/> using the fake server's models (compat:cheap → mid → strong, auditor compat:auditor).</summary>
    public static Dictionary<string, string?> Environment(TestDatabase db, FakeOpenAiServer? models, string name) => new()
    {
        ["DATABASE_URL"] = db.Url,
        ["AUTOPACK_STATE_DIR"] = db.StateRoot,
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["AUTOPACK_EXECUTOR_ID"] = name,
        ["AUTOPACK_OPENAI_COMPAT_URL"] = models?.BaseUrl,
        ["AUTOPACK_ESCALATION_LOW"] = models is null ? null : "compat:cheap,compat:mid,compat:strong",
        ["AUTOPACK_ESCALATION_MEDIUM"] = models is null ? null : "compat:mid,compat:strong",
        ["AUTOPACK_ESCALATION_HIGH"] = models is null ? null : "compat:strong",
        ["AUTOPACK_AUDITOR_MODEL"] = models is null ? null : "compat:auditor",
        ["AUTOPACK_LEASE_SECONDS"] = "5",
        ["AUTOPACK_POLL_INTERVAL_MS"] = "200",
        // Whatever the machine has set must not leak into the test.
        ["ConnectionStrings__autopack"] = null, ["ConnectionStrings__qdrant"] = null, ["QDRANT_URL"] = null,
        ["OPENAI_API_KEY"] = null, ["ANTHROPIC_API_KEY"] = null, ["GOOGLE_API_KEY"] = null, ["GEMINI_API_KEY"] = null,
        ["AUTOPACK_API_URL"] = null, ["services__api__http__0"] = null, ["TARGET_REPO_PATH"] = null, ["AUTOPACK_ENV"] = null,
    };

    public static ExecutorProcess Start(Dictionary<string, string?> env, string name)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(DllPath());
        foreach (var (k, v) in env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        var process = Process.Start(psi)!;
        var self = new ExecutorProcess(process, name);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) self.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) self.Output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return self;
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    /// <summary>SIGTERM, then wait for a clean exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public string Log => string.Join("\n", Output);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
