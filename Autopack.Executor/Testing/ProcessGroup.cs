using System.Runtime.InteropServices;

namespace Autopack.Executor.Testing;

/// <summary>
/// A test command's process group (it is started with <c>setsid</c>, so its pid is the group id): killed as a whole on
/// timeout, stop or exit, and recorded in a file beside the worktree so that, after the executor itself was killed,
/// the next one kills the leftovers before it reuses the worktree.
/// </summary>
public static class ProcessGroup
{
    private const int SigKill = 9;

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>SIGKILL to every process of the group (no-op when none is left).</summary>
    public static void KillGroup(int pgid)
    {
        if (pgid > 1) _ = Kill(-pgid, SigKill); // -1/ESRCH: the group is gone already, which is the goal
    }

    public static void Record(string recordPath, int pgid) => File.WriteAllText(recordPath, pgid.ToString());

    public static void Forget(string recordPath)
    {
        try { File.Delete(recordPath); } catch (IOException) { }
    }

    /// <summary>
    /// Kills the recorded group if any of its processes still works inside <paramref name="worktreePath"/> (a group id
    /// reused by an unrelated process after a reboot is left alone). Returns how many leftovers there were.
    /// </summary>
    public static int KillLeftovers(string recordPath, string worktreePath)
    {
        if (!File.Exists(recordPath)) return 0;
        var found = 0;
        if (int.TryParse(File.ReadAllText(recordPath).Trim(), out var pgid) && pgid > 1)
        {
            found = Members(pgid).Count(pid => WorksIn(pid, worktreePath));
            if (found > 0) KillGroup(pgid);
        }
        Forget(recordPath);
        return found;
    }

    private static IEnumerable<int> Members(int pgid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && int.TryParse(fields[2], out var group) && group == pgid) yield return pid;
        }
    }

    private static bool WorksIn(int pid, string worktreePath)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            return cwd is not null && (cwd == worktreePath || cwd.StartsWith(worktreePath.TrimEnd('/') + "/", StringComparison.Ordinal));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
