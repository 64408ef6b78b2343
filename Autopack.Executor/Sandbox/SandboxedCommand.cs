using System.Diagnostics;

namespace Autopack.Executor.Sandbox;

/// <summary>One command ready to start (under bubblewrap or not), with the cgroup it runs in until disposed.</summary>
public sealed class SandboxedCommand(ProcessStartInfo startInfo, bool sandboxed, long maxOutputBytes, CgroupLimits? cgroup,
    string network = SandboxedCommand.HostNetwork) : IDisposable
{
    public const string NoNetwork = "none";
    public const string HostNetwork = "host (unsandboxed)";

    public ProcessStartInfo StartInfo { get; } = startInfo;
    public bool Sandboxed { get; } = sandboxed;
    public long MaxOutputBytes { get; } = maxOutputBytes;
    /// <summary>The network the command has and why, as recorded on the phase.tests event: <c>none</c>, <c>allowed by run plan</c>, ….</summary>
    public string Network { get; } = network;

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
