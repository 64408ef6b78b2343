using System.Diagnostics;

namespace Autopack.Executor.Sandbox;

/// <summary>One command ready to start (under bubblewrap or not), with the cgroup it runs in until disposed.</summary>
public sealed class SandboxedCommand(ProcessStartInfo startInfo, bool sandboxed, long maxOutputBytes, CgroupLimits? cgroup) : IDisposable
{
    public ProcessStartInfo StartInfo { get; } = startInfo;
    public bool Sandboxed { get; } = sandboxed;
    public long MaxOutputBytes { get; } = maxOutputBytes;

    /// <summary><c>sh -c</c> on the host with the inherited environment (tests of the runner itself).</summary>
    public static SandboxedCommand Plain(string command, string workingDirectory, long maxOutputBytes = 16L << 20)
    {
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        return new SandboxedCommand(psi, false, maxOutputBytes, null);
    }

    public void Dispose() => cgroup?.Dispose();
}
