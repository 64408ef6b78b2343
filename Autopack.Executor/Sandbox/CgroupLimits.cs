namespace Autopack.Executor.Sandbox;

/// <summary>
/// A throw-away cgroup holding one sandboxed command, with pids and memory limits for the command as a whole (a
/// fork bomb counts against it, not against the user's processes; RLIMIT_NPROC does not bind root). Used where the
/// executor may create cgroups (v2 with the controllers delegated, or v1 hierarchies); null otherwise.
/// </summary>
public sealed class CgroupLimits : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly List<string> _dirs;

    private CgroupLimits(List<string> dirs, List<string> controllers)
    {
        _dirs = dirs;
        Controllers = controllers;
    }

    /// <summary>The <c>cgroup.procs</c> files the command's first process writes its pid to before it execs bwrap.</summary>
    public IEnumerable<string> ProcsFiles => _dirs.Select(d => Path.Combine(d, "cgroup.procs"));

    /// <summary>Which limits hold, e.g. <c>pids</c>, <c>memory</c>.</summary>
    public IReadOnlyList<string> Controllers { get; }

    public static CgroupLimits? TryCreate(long memoryBytes, int maxProcesses)
    {
        string[] own;
        try { own = File.ReadAllLines("/proc/self/cgroup"); }
        catch (IOException) { return null; }
        var name = "autopack-" + Guid.NewGuid().ToString("N")[..12];
        var dirs = new List<string>();
        var controllers = new List<string>();
        if (File.Exists(Path.Combine(Root, "cgroup.controllers")))
        {
            // v2: one directory, only where the parent delegates the controllers to its children.
            var path = own.FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
            if (path is null) return null;
            var parent = Root + path.TrimEnd('/');
            string delegated;
            try { delegated = File.ReadAllText(Path.Combine(parent, "cgroup.subtree_control")); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
            var dir = Path.Combine(parent, name);
            if (!TryMake(dir)) return null;
            if (delegated.Contains("pids") && TryWrite(dir, "pids.max", maxProcesses.ToString())) controllers.Add("pids");
            if (delegated.Contains("memory") && TryWrite(dir, "memory.max", memoryBytes.ToString())) controllers.Add("memory");
            dirs.Add(dir);
        }
        else
        {
            foreach (var (controller, file, value) in new[] { ("pids", "pids.max", maxProcesses.ToString()), ("memory", "memory.limit_in_bytes", memoryBytes.ToString()) })
            {
                var path = own.Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains(controller))?[2];
                if (path is null) continue;
                var dir = Path.Combine(Root + "/" + controller + path.TrimEnd('/'), name);
                if (!TryMake(dir)) continue;
                if (TryWrite(dir, file, value)) { dirs.Add(dir); controllers.Add(controller); }
                else Remove(dir);
            }
        }
        if (controllers.Count == 0)
        {
            foreach (var d in dirs) Remove(d);
            return null;
        }
        return new CgroupLimits(dirs, controllers);
    }

    private static bool TryMake(string dir)
    {
        try { Directory.CreateDirectory(dir); return true; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    private static bool TryWrite(string dir, string file, string value)
    {
        try { File.WriteAllText(Path.Combine(dir, file), value); return true; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    private static bool Remove(string dir)
    {
        try { Directory.Delete(dir); return true; }
        catch (DirectoryNotFoundException) { return true; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Removes the cgroups. The kernel refuses while a killed process is still leaving, so a busy one is retried
    /// for a moment in the background (never blocking the phase's thread).
    /// </summary>
    public void Dispose()
    {
        var busy = _dirs.Where(d => !Remove(d)).ToList();
        if (busy.Count > 0) _ = RemoveLaterAsync(busy);
    }

    private static async Task RemoveLaterAsync(List<string> dirs)
    {
        for (var i = 0; i < 40 && dirs.Count > 0; i++)
        {
            await Task.Delay(50);
            dirs.RemoveAll(Remove);
        }
    }
}
