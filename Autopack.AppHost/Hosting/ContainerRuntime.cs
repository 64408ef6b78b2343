using System.Diagnostics;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// Whether a container engine answers here. Aspire fails a run with any container resource when none does, so run
/// mode asks first and falls back to local binaries (PostgreSQL) or the embedded defaults (SQLite, vector index).
/// </summary>
public static class ContainerRuntime
{
    private static bool? _available;

    /// <summary>Asked once per AppHost process (the answer cannot change under a starting model).</summary>
    public static bool IsAvailable(string? configured) => _available ??= Probe(configured);

    private static bool Probe(string? configured)
    {
        foreach (var runtime in configured is { Length: > 0 } ? [configured] : new[] { "docker", "podman" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
                    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
                if (p is null) continue;
                if (!p.WaitForExit(TimeSpan.FromSeconds(10))) { p.Kill(entireProcessTree: true); continue; }
                if (p.ExitCode == 0) return true;
            }
            catch (System.ComponentModel.Win32Exception) { } // not installed
        }
        return false;
    }
}
