using System.Diagnostics;

namespace Autopack.Tests.Infrastructure;

/// <summary>A real throw-away git repository to build against: a couple of files and a shell test.</summary>
public sealed class TargetRepo : IDisposable
{
    public required string Path { get; init; }

    public static TargetRepo Create(IReadOnlyDictionary<string, string> files)
    {
        var dir = Directory.CreateTempSubdirectory("autopack-target-").FullName;
        var repo = new TargetRepo { Path = dir };
        repo.Git("init", "-q", "-b", "main");
        foreach (var (name, content) in files)
        {
            var full = System.IO.Path.Combine(dir, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        repo.Git("add", "-A");
        repo.Git("-c", "user.name=Test", "-c", "user.email=test@localhost", "commit", "-q", "-m", "initial");
        return repo;
    }

    /// <summary>greet.sh prints a greeting; test.sh passes when it says "Hello, Autopack"; util.txt is a second file.</summary>
    public static TargetRepo CreateGreeting() => Create(new Dictionary<string, string>
    {
        ["greet.sh"] = "#!/bin/sh\necho \"Hello, World\"\n",
        ["test.sh"] = "#!/bin/sh\nout=$(sh greet.sh)\n[ \"$out\" = \"Hello, Autopack\" ] || { echo \"expected 'Hello, Autopack', got '$out'\"; exit 1; }\necho ok\n",
        ["notes/todo.txt"] = "one\ntwo\nthree\n",
        ["README.md"] = "# target\n",
    });

    public string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>Commit subjects on a branch newest first, excluding the initial commit (none when the branch does not exist).</summary>
    public IReadOnlyList<string> Log(string branch)
    {
        try
        {
            return Git("log", branch, "--format=%s").Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "initial").ToList();
        }
        catch (InvalidOperationException) when (!HasBranch(branch))
        {
            return []; // an empty run branch is removed when its run ends
        }
    }

    public bool HasBranch(string branch) => Git("branch", "--list", branch).Length > 0;

    public string Show(string branch, string path) => Git("show", $"{branch}:{path}");

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
