namespace Autopack.Core.Configuration;

/// <summary>
/// The one root that relative local state (the embedded SQLite file, worktrees, logs) resolves against,
/// so the API, executor and outbox worker started from different folders share the same files.
/// <c>AUTOPACK_STATE_DIR</c> wins; else <c>.autopack/</c> beside the nearest <c>Autopack.sln</c>
/// above the working directory or the binaries; else <c>.autopack/</c> in the working directory.
/// </summary>
public static class StatePaths
{
    public const string Variable = "AUTOPACK_STATE_DIR";

    public static string Root(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var explicitRoot = env(Variable);
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
        var repo = FindRepoRoot(Directory.GetCurrentDirectory()) ?? FindRepoRoot(AppContext.BaseDirectory);
        return Path.Combine(repo ?? Directory.GetCurrentDirectory(), ".autopack");
    }

    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autopack.sln"))) return dir.FullName;
        return null;
    }
}
