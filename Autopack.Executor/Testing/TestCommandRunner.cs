using System.Diagnostics;
using Autopack.Executor.Sandbox;

namespace Autopack.Executor.Testing;

public sealed record TestResult(int? ExitCode, string Output, bool TimedOut, TimeSpan Duration, bool OutputCutOff = false,
    string Network = SandboxedCommand.HostNetwork)
{
    public bool Passed => ExitCode == 0 && !TimedOut && !OutputCutOff;

    /// <summary>The last <paramref name="lines"/> lines of the output, at most <paramref name="maxChars"/> characters (the end holds the failure).</summary>
    public string Tail(int lines, int maxChars)
    {
        var all = Output.TrimEnd('\n').Split('\n');
        var tail = string.Join('\n', all[Math.Max(0, all.Length - lines)..]);
        return tail.Length <= maxChars ? tail : tail[^maxChars..];
    }
}

/// <summary>
/// Runs the phase's test command (prepared by <see cref="CommandSandbox"/>) with a timeout, in its own process group
/// (<c>setsid</c>). Output (stdout and stderr interleaved) is kept as head + tail within a character budget, since the
/// end of a test log usually holds the failure; past the sandbox's output limit the command is stopped. When the command
/// ends, times out, floods or is stopped, the whole group is killed (background processes it left too; under bubblewrap
/// the PID namespace takes every child with it anyway); <c>groupRecord</c> names the group while it runs, so an
/// executor that replaces a killed one can kill its leftovers.
/// </summary>
public static class TestCommandRunner
{
    /// <summary>Once the command exited, how long its output may still drain (a background child may hold the pipe).</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <summary>Unsandboxed, with the inherited environment (the runner's own tests).</summary>
    public static async Task<TestResult> RunAsync(string command, string workingDirectory, TimeSpan timeout, int maxOutputChars, CancellationToken ct,
        string? groupRecord = null)
    {
        using var plain = SandboxedCommand.Plain(command, workingDirectory);
        return await RunAsync(plain, timeout, maxOutputChars, ct, groupRecord);
    }

    public static async Task<TestResult> RunAsync(SandboxedCommand command, TimeSpan timeout, int maxOutputChars, CancellationToken ct,
        string? groupRecord = null)
    {
        var capture = new OutputCapture(maxOutputChars, command.MaxOutputBytes);
        var started = Stopwatch.StartNew();
        // setsid: not a group leader when started, so it execs the command in place: the pid is the new group's id.
        var psi = command.StartInfo;
        if (psi.FileName != "setsid")
        {
            psi.ArgumentList.Insert(0, psi.FileName);
            psi.FileName = "setsid";
        }
        using var p = new Process { StartInfo = psi };
        await CommandLauncher.StartAsync(p); // not from this pool thread: a sandbox dies with the thread that started it
        var group = p.Id;
        if (groupRecord is not null) ProcessGroup.Record(groupRecord, group);
        try
        {
            var readers = Task.WhenAll(capture.ReadAsync(p.StandardOutput.BaseStream), capture.ReadAsync(p.StandardError.BaseStream));
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            // The shell's own exit, not the end of its output: a background process it left would keep the pipes open.
            var exited = p.WaitForExitAsync(CancellationToken.None);
            var stopped = Task.Delay(Timeout.Infinite, limit.Token);
            var first = await Task.WhenAny(exited, capture.Flooded, stopped);
            var timedOut = false;
            var cutOff = false;
            ProcessGroup.KillGroup(group); // what it left in the background dies with it
            if (first != exited)
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                ct.ThrowIfCancellationRequested();
                cutOff = first == capture.Flooded;
                timedOut = !cutOff;
                await exited.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            try { await readers.WaitAsync(DrainGrace, CancellationToken.None); }
            catch (TimeoutException) { } // a leftover background process still holds the pipe: report what was read
            var text = capture.Text();
            if (timedOut) text += $"\n[autopack] test command timed out after {timeout.TotalSeconds:0}s and was killed\n";
            if (cutOff) text += $"\n[autopack] test command printed more than {command.MaxOutputBytes >> 20} MiB and was stopped (output limit)\n";
            int? exitCode = timedOut || cutOff ? null : p.ExitCode;
            return new TestResult(exitCode, text, timedOut, started.Elapsed, cutOff, command.Network);
        }
        finally
        {
            if (groupRecord is not null) ProcessGroup.Forget(groupRecord);
        }
    }

    public static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        var head = max / 4;
        var tail = max - head;
        return text[..head] + $"\n[... {text.Length - max} characters omitted ...]\n" + text[^tail..];
    }
}
