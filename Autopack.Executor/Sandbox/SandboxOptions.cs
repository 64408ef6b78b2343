namespace Autopack.Executor.Sandbox;

/// <summary>The sandbox's settings (AUTOPACK_SANDBOX_*, see docs/executor.md).</summary>
public sealed record SandboxOptions
{
    public SandboxMode Mode { get; init; } = SandboxMode.Auto;
    public string BwrapPath { get; init; } = "bwrap";
    /// <summary>Executor-wide network opt-in (package restores); off by default.</summary>
    public bool Network { get; init; }
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
            Network = c["AUTOPACK_SANDBOX_NETWORK"] is "1" or "true",
            MemoryBytes = Long("AUTOPACK_SANDBOX_MEMORY_MB", 2048, 64) << 20,
            MaxProcesses = (int)Long("AUTOPACK_SANDBOX_MAX_PROCESSES", 512, 16),
            MaxFileBytes = Long("AUTOPACK_SANDBOX_MAX_FILE_MB", 1024, 1) << 20,
            MaxOutputBytes = Long("AUTOPACK_SANDBOX_MAX_OUTPUT_MB", 16, 1) << 20,
            ExtraEnvironment = List(c["AUTOPACK_SANDBOX_ENV"]),
            HiddenPaths = List(c["AUTOPACK_SANDBOX_HIDE"]).Select(Path.GetFullPath).ToList(),
        };
    }
}
