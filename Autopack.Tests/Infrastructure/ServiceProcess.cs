using System.Diagnostics;
using System.Text;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real Autopack service process (<c>dotnet Autopack.X.dll</c> from the build output next to the tests),
/// with its output captured for assertions. Disposal kills it.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _exited.TrySetResult();
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Path of a service's built dll, e.g. <c>DllPath("Autopack.Api")</c>.</summary>
    public static string DllPath(string project)
    {
        var root = Core.Configuration.StatePaths.FindRepoRoot(AppContext.BaseDirectory)
                   ?? throw new InvalidOperationException("Autopack.sln not found above the test binaries.");
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(root, project, "bin", config, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution first (./test.sh does).");
    }

    public static ServiceProcess Start(string project, IDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(DllPath(project));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A clean environment for Autopack's own settings, so the developer's shell cannot leak into a test.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("AUTOPACK_") || k.StartsWith("DATABASE_URL") || k.StartsWith("ConnectionStrings__")).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var sp = new ServiceProcess(Process.Start(psi)!);
        sp._process.BeginOutputReadLine();
        sp._process.BeginErrorReadLine();
        return sp;
    }

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
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) { _process.WaitForExit(); return Output.Contains(text, StringComparison.Ordinal); }
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>kill -9: no chance to clean up, as in a crash.</summary>
    public void Kill() { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }

    private void Append(string? line) { if (line is not null) lock (_output) _output.AppendLine(line); }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
