using System.ComponentModel;
using System.Diagnostics;

namespace Autopack.Executor.Sandbox;

/// <summary>
/// Runs commands on model-written code under bubblewrap: the host read-only, the worktree the only writable path
/// plus a private /tmp, the state root, HOME and secret mounts hidden, no network (unless the run plan opts in and
/// AUTOPACK_SANDBOX_NETWORK does not deny it), new PID/IPC/UTS/user
/// namespaces (every child dies with the command), no capabilities, an allow-listed environment, and limits on
/// memory, processes, file size and output. Whether bwrap works here is probed once, at start.
/// </summary>
public sealed class CommandSandbox
{
    private readonly SandboxOptions _options;
    private readonly IReadOnlyList<string> _hidden;
    private readonly ILogger<CommandSandbox> _logger;

    public CommandSandbox(SandboxOptions options, string stateRoot, ILogger<CommandSandbox> logger)
    {
        _options = options;
        _logger = logger;
        _hidden = HiddenPaths(options, stateRoot);
        var unavailable = options.Mode == SandboxMode.Off ? "AUTOPACK_SANDBOX=off" : Probe(options.BwrapPath);
        Active = unavailable is null;
        Status = Active ? "bubblewrap" : "none: " + unavailable;
        if (Active)
        {
            using var probe = CgroupLimits.TryCreate(options.MemoryBytes, options.MaxProcesses);
            Limits = probe is null ? "rlimits (no writable cgroup)" : "cgroup " + string.Join("+", probe.Controllers);
            logger.LogInformation("Sandbox: bubblewrap (network {Network}, memory {Memory} MiB, {Processes} processes, output {Output} MiB, limits by {Limits}; hidden: {Hidden})",
                options.Network switch
                {
                    SandboxNetworkPolicy.All => "allowed for every command (AUTOPACK_SANDBOX_NETWORK=all)",
                    SandboxNetworkPolicy.Deny => "none, run plans asking for it refused (AUTOPACK_SANDBOX_NETWORK=deny)",
                    _ => "none unless the run plan opts in",
                }, options.MemoryBytes >> 20, options.MaxProcesses, options.MaxOutputBytes >> 20, Limits, string.Join(", ", _hidden));
        }
        else if (options.Mode == SandboxMode.Required)
        {
            Refusal = $"AUTOPACK_SANDBOX=required and the sandbox is unavailable ({unavailable}); test commands are not run unsandboxed.";
            logger.LogError("Sandbox: {Status}. AUTOPACK_SANDBOX=required: phases with a test command fail with SANDBOX_UNAVAILABLE until bubblewrap works (install bubblewrap, allow user namespaces) or AUTOPACK_SANDBOX=auto/off", Status);
        }
        else if (options.Mode == SandboxMode.Auto)
            logger.LogWarning("Sandbox: {Status}. Test commands run UNSANDBOXED with the executor's rights (environment filtered); AUTOPACK_SANDBOX=required refuses that", Status);
        else
            logger.LogWarning("Sandbox: off (AUTOPACK_SANDBOX=off). Test commands run with the executor's rights (environment filtered)");
    }

    /// <summary>True when commands run under bubblewrap.</summary>
    public bool Active { get; }

    /// <summary>/health's <c>sandbox</c>: <c>bubblewrap</c> or <c>none: &lt;reason&gt;</c>.</summary>
    public string Status { get; }

    /// <summary>Who gets the network (<c>opt-in</c>, <c>deny</c>, <c>all</c>; AUTOPACK_SANDBOX_NETWORK); null when inactive.</summary>
    public string? NetworkPolicy => !Active ? null : _options.Network switch
    {
        SandboxNetworkPolicy.All => "all",
        SandboxNetworkPolicy.Deny => "deny",
        _ => "opt-in",
    };

    /// <summary>How the limits are enforced (cgroup controllers or rlimits); null when inactive.</summary>
    public string? Limits { get; }

    /// <summary>Why commands must not run at all (required mode without a working sandbox); null when they may.</summary>
    public string? Refusal { get; }

    public SandboxOptions Options => _options;

    /// <summary>
    /// Why a command whose run plan asks for the network must not run here (AUTOPACK_SANDBOX_NETWORK=deny); null when
    /// it may. Refused rather than run without the network, which would fail later for a reason the plan does not show.
    /// </summary>
    public string? NetworkRefusal(bool planAllowsNetwork) => planAllowsNetwork && _options.Network == SandboxNetworkPolicy.Deny
        ? "The run plan allows this phase the network (sandbox.network) and this executor refuses it (AUTOPACK_SANDBOX_NETWORK=deny); run it on an executor that allows network opt-ins."
        : null;

    /// <summary>
    /// The command ready to start in <paramref name="worktree"/>, with the host's network when the run plan allows it
    /// (<paramref name="network"/>); throws when <see cref="Refusal"/> or <see cref="NetworkRefusal"/> is set.
    /// </summary>
    public SandboxedCommand Prepare(string command, string worktree, bool network = false)
    {
        if (Refusal is not null) throw new InvalidOperationException(Refusal);
        if (NetworkRefusal(network) is { } denied) throw new InvalidOperationException(denied);
        worktree = Path.GetFullPath(worktree);
        if (!Active)
        {
            var plain = SandboxedCommand.Plain(command, worktree, _options.MaxOutputBytes);
            SetEnvironment(plain.StartInfo, Environment.GetEnvironmentVariable("HOME") ?? worktree, Path.GetTempPath().TrimEnd('/'));
            return plain;
        }
        var cgroup = CgroupLimits.TryCreate(_options.MemoryBytes, _options.MaxProcesses);
        var psi = new ProcessStartInfo();
        if (cgroup is null) psi.FileName = _options.BwrapPath;
        else
        {
            // The first process joins the cgroup before it execs bwrap, so nothing the command starts escapes it.
            psi.FileName = "/bin/sh";
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("for f in " + string.Join(' ', cgroup.ProcsFiles.Select(f => $"'{f}'")) + "; do echo $$ > \"$f\" || exit 125; done; exec \"$@\"");
            psi.ArgumentList.Add("sandbox");
            psi.ArgumentList.Add(_options.BwrapPath);
        }
        var shareNet = network || _options.Network == SandboxNetworkPolicy.All;
        var grant = !shareNet ? SandboxedCommand.NoNetwork : network ? "allowed by run plan" : "allowed by AUTOPACK_SANDBOX_NETWORK=all";
        if (shareNet) _logger.LogInformation("Sandbox: the test command gets the host's network ({Grant})", grant);
        foreach (var arg in BwrapArguments(worktree, shareNet)) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--");
        foreach (var arg in Rlimits(cgroup)) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        psi.WorkingDirectory = worktree;
        SetEnvironment(psi, "/tmp", "/tmp");
        return new SandboxedCommand(psi, true, _options.MaxOutputBytes, cgroup, grant);
    }

    private IEnumerable<string> BwrapArguments(string worktree, bool network)
    {
        string[] baseArgs = ["--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--size", _options.MemoryBytes.ToString(), "--tmpfs", "/tmp"];
        foreach (var a in baseArgs) yield return a;
        if (network) yield return "--share-net";
        foreach (var path in _hidden)
        {
            yield return "--tmpfs";
            yield return path;
        }
        // git inside the worktree reads the repository's object store; read-only, even when it lives under a hidden path.
        if (GitCommonDir(worktree) is { } gitDir)
        {
            yield return "--ro-bind";
            yield return gitDir;
            yield return gitDir;
        }
        yield return "--bind";
        yield return worktree;
        yield return worktree;
        // Last, once bwrap made the mount points inside them: what is hidden is also not writable.
        foreach (var path in _hidden)
        {
            yield return "--remount-ro";
            yield return path;
        }
        yield return "--chdir";
        yield return worktree;
    }

    /// <summary>Per-process limits inside; processes and memory only when no cgroup holds them for the whole command.</summary>
    private IEnumerable<string> Rlimits(CgroupLimits? cgroup)
    {
        yield return "prlimit";
        yield return $"--fsize={_options.MaxFileBytes}";
        yield return "--core=0";
        if (cgroup?.Controllers.Contains("pids") != true) yield return $"--nproc={_options.MaxProcesses}";
        if (cgroup?.Controllers.Contains("memory") != true) yield return $"--data={_options.MemoryBytes}";
        yield return "--";
    }

    private void SetEnvironment(ProcessStartInfo psi, string home, string tmp)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var env = SandboxEnvironment.Build(Environment.GetEnvironmentVariables(), _options.ExtraEnvironment, home, tmp);
        psi.Environment.Clear();
        foreach (var (name, value) in env) psi.Environment[name] = value;
    }

    private static IReadOnlyList<string> HiddenPaths(SandboxOptions options, string stateRoot)
    {
        var candidates = new List<string> { Path.GetFullPath(stateRoot), "/root", "/run/secrets", "/var/run/secrets", "/etc/autopack" };
        if (Environment.GetEnvironmentVariable("HOME") is { Length: > 1 } home) candidates.Add(Path.GetFullPath(home));
        candidates.AddRange(options.HiddenPaths);
        // Under /tmp is already private; "/" cannot be hidden.
        return candidates.Select(p => p.TrimEnd('/')).Where(p => p.Length > 0 && p != "/tmp" && !p.StartsWith("/tmp/", StringComparison.Ordinal) && Directory.Exists(p))
            .Distinct().ToList();
    }

    /// <summary>The repository's .git of a linked worktree (its <c>.git</c> file names <c>&lt;repo&gt;/.git/worktrees/&lt;name&gt;</c>).</summary>
    private static string? GitCommonDir(string worktree)
    {
        var dotGit = Path.Combine(worktree, ".git");
        if (!File.Exists(dotGit)) return null;
        var line = File.ReadLines(dotGit).FirstOrDefault();
        if (line is null || !line.StartsWith("gitdir: ", StringComparison.Ordinal)) return null;
        var gitDir = Path.GetFullPath(line["gitdir: ".Length..].Trim(), worktree);
        var common = Path.GetFullPath(Path.Combine(gitDir, "..", ".."));
        return Directory.Exists(common) ? common : null;
    }

    /// <summary>Null when bwrap runs here with these namespaces; otherwise why not, in a few words.</summary>
    private static string? Probe(string bwrap)
    {
        var psi = new ProcessStartInfo(bwrap) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--die-with-parent", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true" })
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                p.Kill(entireProcessTree: true);
                return "bwrap did not answer within 10 s";
            }
            if (p.ExitCode == 0) return null;
            var message = stderr.Result.Trim().Split('\n')[0];
            return $"bwrap cannot create its namespaces here ({(message.Length > 0 ? message : $"exit {p.ExitCode}")})";
        }
        catch (Win32Exception)
        {
            return $"{bwrap} not found (install the bubblewrap package)";
        }
    }
}
