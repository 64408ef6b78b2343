namespace Autopack.Executor.Sandbox;

/// <summary>The sandbox's settings (AUTOPACK_SANDBOX_*, see docs/executor.md).</summary>
public sealed record SandboxOptions
{
    public SandboxMode Mode { get; init; } = SandboxMode.Auto;
    public string BwrapPath { get; init; } = "bwrap";
    /// <summary>Whether commands get the host's network: when the run plan asks (default), never, or always.</summary>
    public SandboxNetworkPolicy Network { get; init; } = SandboxNetworkPolicy.OptIn;
    /// <summary>Memory of the whole command (cgroup where writable, otherwise RLIMIT_DATA per process).</summary>
    public long MemoryBytes { get; init; } = 2L << 30;
    /// <summary>Processes and threads of the whole command (cgroup pids.max where writable, otherwise RLIMIT_NPROC).</summary>
    public int MaxProcesses { get; init; } = 512;
    /// <summary>Largest file the command may write (RLIMIT_FSIZE).</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;
    /// <summary>Output (stdout + stderr) read before the command is stopped as flooding.</summary>
    public long MaxOutputBytes { get; init; } = 16L << 20;
    /// <summary>More variable names passed through (the secret patterns still never pass).</summary>
    public IReadOnlyList<string> ExtraEnvironment { get; init; } = [];
    /// <summary>More host paths hidden behind an empty tmpfs (the state root, HOME and the secret mounts always are).</summary>
    public IReadOnlyList<string> HiddenPaths { get; init; } = [];
}
