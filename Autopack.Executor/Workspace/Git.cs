using System.Diagnostics;

namespace Autopack.Executor.Workspace;

/// <summary>Runs the real git binary with an argument list (never a shell string) and captures its output.</summary>
public static class Git
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public bool Ok => ExitCode == 0;
        public string Output => (Stdout + Stderr).Trim();
    }

    public static async Task<Result> RunAsync(string workingDirectory, IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Commits made by Autopack carry its own identity, whatever the machine's git config says.
        psi.Environment["GIT_AUTHOR_NAME"] = "Autopack";
        psi.Environment["GIT_AUTHOR_EMAIL"] = "autopack@localhost";
        psi.Environment["GIT_COMMITTER_NAME"] = "Autopack";
        psi.Environment["GIT_COMMITTER_EMAIL"] = "autopack@localhost";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("git could not be started");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            p.StandardInput.Close();
        }
        await p.WaitForExitAsync(ct);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> RequireAsync(string workingDirectory, params string[] args)
    {
        var r = await RunAsync(workingDirectory, args);
        if (!r.Ok) throw new GitException($"git {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout.Trim();
    }
}

public sealed class GitException(string message) : Exception(message);
