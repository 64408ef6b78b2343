using System.Diagnostics;
using System.Text;

namespace Autopack.Executor.Testing;

public sealed record TestResult(int? ExitCode, string Output, bool TimedOut, TimeSpan Duration)
{
    public bool Passed => ExitCode == 0 && !TimedOut;

    /// <summary>The last <paramref name="lines"/> lines of the output, at most <paramref name="maxChars"/> characters (the end holds the failure).</summary>
    public string Tail(int lines, int maxChars)
    {
        var all = Output.TrimEnd('\n').Split('\n');
        var tail = string.Join('\n', all[Math.Max(0, all.Length - lines)..]);
        return tail.Length <= maxChars ? tail : tail[^maxChars..];
    }
}

/// <summary>
/// Runs the phase's test command (<c>sh -c</c>) in the worktree with a timeout, in its own process group
/// (<c>setsid</c>). Output (stdout and stderr interleaved) is kept as head + tail within a character budget, since
/// the end of a test log usually holds the failure. When the command ends, times out or is stopped, the whole group
/// is killed (background processes it left too); <paramref name="groupRecord"/> names the group while it runs.
/// </summary>
public static class TestCommandRunner
{
    public static async Task<TestResult> RunAsync(string command, string workingDirectory, TimeSpan timeout, int maxOutputChars, CancellationToken ct,
        string? groupRecord = null)
    {
        // setsid: not a group leader when started, so it execs sh in place: the pid is the new group's id.
        var psi = new ProcessStartInfo("setsid") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        var output = new StringBuilder();
        var started = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        // The shell's own exit, not the end of its output: a background process it left would keep the pipes open.
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.Exited += (_, _) => exited.TrySetResult();
        void Append(string? line) { if (line is null) return; lock (output) output.Append(line).Append('\n'); }
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.Start();
        var group = p.Id;
        if (groupRecord is not null) ProcessGroup.Record(groupRecord, group);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await exited.Task.WaitAsync(timeoutCts.Token);
            ProcessGroup.KillGroup(group); // what it left in the background dies with it
            p.WaitForExit(); // drains the async output readers
        }
        catch (OperationCanceledException)
        {
            ProcessGroup.KillGroup(group);
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (ct.IsCancellationRequested) throw;
            timedOut = true;
        }
        finally
        {
            if (groupRecord is not null) ProcessGroup.Forget(groupRecord);
        }
        string text;
        lock (output) text = output.ToString();
        if (timedOut) text += $"\n[autopack] test command timed out after {timeout.TotalSeconds:0}s and was killed\n";
        return new TestResult(timedOut ? null : p.ExitCode, Truncate(text, maxOutputChars), timedOut, started.Elapsed);
    }

    public static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        var head = max / 4;
        var tail = max - head;
        return text[..head] + $"\n[... {text.Length - max} characters omitted ...]\n" + text[^tail..];
    }
}
