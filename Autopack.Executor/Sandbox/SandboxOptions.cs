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

    public static SandboxOptions Load(IConfiguration c, bool isProduction, List<string> problems)
    {
        long Long(string key, long def, long min)
        {
            var raw = c[key];
            if (string.IsNullOrWhiteSpace(raw)) return def;
            if (long.TryParse(raw, out var v) && v >= min) return v;
            problems.Add($"{key}='{raw}' must be an integer ≥ {min}.");
            return def;
        }
        static IReadOnlyList<string> List(string? raw) => (raw ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var modeRaw = c["AUTOPACK_SANDBOX"];
        var mode = isProduction ? SandboxMode.Required : SandboxMode.Auto;
        if (!string.IsNullOrWhiteSpace(modeRaw) && !Enum.TryParse(modeRaw, ignoreCase: true, out mode))
            problems.Add($"AUTOPACK_SANDBOX='{modeRaw}' must be required, auto or off.");
        return new SandboxOptions
        {
            Mode = mode,
            BwrapPath = string.IsNullOrWhiteSpace(c["AUTOPACK_SANDBOX_BWRAP"]) ? "bwrap" : c["AUTOPACK_SANDBOX_BWRAP"]!,
            Network = NetworkPolicy(c["AUTOPACK_SANDBOX_NETWORK"], problems),
            MemoryBytes = Long("AUTOPACK_SANDBOX_MEMORY_MB", 2048, 64) << 20,
            MaxProcesses = (int)Long("AUTOPACK_SANDBOX_MAX_PROCESSES", 512, 16),
            MaxFileBytes = Long("AUTOPACK_SANDBOX_MAX_FILE_MB", 1024, 1) << 20,
            MaxOutputBytes = Long("AUTOPACK_SANDBOX_MAX_OUTPUT_MB", 16, 1) << 20,
            ExtraEnvironment = List(c["AUTOPACK_SANDBOX_ENV"]),
            HiddenPaths = List(c["AUTOPACK_SANDBOX_HIDE"]).Select(Path.GetFullPath).ToList(),
        };
    }

    private static SandboxNetworkPolicy NetworkPolicy(string? raw, List<string> problems)
    {
        switch (raw?.Trim().ToLowerInvariant())
        {
            case null or "" or "opt-in": return SandboxNetworkPolicy.OptIn;
            // Before a run plan could opt in, 0/false meant "no network for anything": an operator who wrote it keeps that.
            case "deny" or "0" or "false": return SandboxNetworkPolicy.Deny;
            case "all" or "1" or "true": return SandboxNetworkPolicy.All;
            default:
                problems.Add($"AUTOPACK_SANDBOX_NETWORK='{raw}' must be opt-in, deny or all.");
                return SandboxNetworkPolicy.OptIn;
        }
    }
}
