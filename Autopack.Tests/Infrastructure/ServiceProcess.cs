using System.Diagnostics;
using System.Text;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real Autopack service process (<c>dotnet Autopack.X.dll</c> from the build output next to the tests),
/// with its output captured for assertions. Disposal kills it. <see cref="ExecutorEnvironment"/> has the executor's settings.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process, string project)
    {
        _process = process;
        Project = project;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _exited.TrySetResult();
    }

    public string Project { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    /// <summary>Standard output and error so far, one line each.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Path of a service's built dll, e.g. <c>DllPath("Autopack.Api")</c>, in the configuration the tests were built in.</summary>
    public static string DllPath(string project)
    {
        var root = Core.Configuration.StatePaths.FindRepoRoot(AppContext.BaseDirectory)
                   ?? throw new InvalidOperationException("Autopack.sln not found above the test binaries.");
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(root, project, "bin", config, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution first (./test.sh does).");
    }

    /// <summary>Starts <paramref name="project"/>; a null value in <paramref name="env"/> removes that variable.</summary>
    public static ServiceProcess Start(string project, IDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(DllPath(project));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A clean environment for Autopack's own settings, so the developer's shell cannot leak into a test.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("AUTOPACK_") || k.StartsWith("DATABASE_URL") || k.StartsWith("ConnectionStrings__")).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        var sp = new ServiceProcess(Process.Start(psi)!, project);
        sp._process.BeginOutputReadLine();
        sp._process.BeginErrorReadLine();
        return sp;
    }

    /// <summary>True when the process exited within <paramref name="timeout"/>; its output is then complete.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var done = await Task.WhenAny(_exited.Task, Task.Delay(timeout));
        if (done != _exited.Task) return false;
        _process.WaitForExit(); // flushes the redirected output
        return true;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false on timeout or exit.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        try
        {
            await Eventually.UntilAsync($"{Project} printing \"{text}\"", () => Task.FromResult(Output.Contains(text, StringComparison.Ordinal)),
                held => held || HasExited, timeout, interval: TimeSpan.FromMilliseconds(50));
        }
        catch (EventuallyException) { return false; }
        if (HasExited) _process.WaitForExit(); // the last lines may still be in flight
        return Output.Contains(text, StringComparison.Ordinal);
    }

    /// <summary>kill -9: no chance to clean up, as in a crash. Without the tree, what it started lives on, as after a real crash.</summary>
    public void Kill(bool entireProcessTree = true)
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree); } catch (InvalidOperationException) { } // exited meanwhile
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>, <c>STOP</c>, …) with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then the exit code of the clean exit; throws when it does not exit within <paramref name="timeout"/>.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await SignalAsync("TERM");
        if (!await WaitForExitAsync(timeout)) throw new TimeoutException($"{Project} did not exit within {timeout} of SIGTERM:\n{Output}");
        return ExitCode;
    }

    private void Append(string? line) { if (line is not null) lock (_output) _output.AppendLine(line); }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
