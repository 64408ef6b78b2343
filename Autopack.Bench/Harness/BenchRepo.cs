using System.Diagnostics;
using Autopack.Executor.Workspace;

namespace Autopack.Bench.Harness;

/// <summary>
/// A real target repository for the phase benchmark: greet.sh and the shell test that wants "Hello, Autopack", plus
/// optionally <c>folders × files</c> small generated files, all in one commit.
/// </summary>
public sealed class BenchRepo : IDisposable
{
    public const string WrongDiff = "```diff\n--- a/greet.sh\n+++ b/greet.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo \"Hello, World\"\n+echo \"Hello, Wrong\"\n```\n";
    public const string FixDiff = "```diff\n--- a/greet.sh\n+++ b/greet.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo \"Hello, World\"\n+echo \"Hello, Autopack\"\n```\n";

    public required string Path { get; init; }
    public required int Files { get; init; }

    public static async Task<BenchRepo> CreateAsync(int folders, int filesPerFolder)
    {
        var dir = Directory.CreateTempSubdirectory("autopack-bench-target-").FullName;
        await File.WriteAllTextAsync(System.IO.Path.Combine(dir, "greet.sh"), "#!/bin/sh\necho \"Hello, World\"\n");
        await File.WriteAllTextAsync(System.IO.Path.Combine(dir, "test.sh"),
            "#!/bin/sh\nout=$(sh greet.sh)\n[ \"$out\" = \"Hello, Autopack\" ] || { echo \"expected 'Hello, Autopack', got '$out'\"; exit 1; }\necho ok\n");
        for (var f = 0; f < folders; f++)
        {
            var folder = Directory.CreateDirectory(System.IO.Path.Combine(dir, $"src{f:D3}")).FullName;
            for (var i = 0; i < filesPerFolder; i++)
                await File.WriteAllTextAsync(System.IO.Path.Combine(folder, $"file{i:D3}.txt"), $"folder {f} file {i}\n");
        }
        await Git.RequireAsync(dir, "init", "-q", "-b", "main");
        await Git.RequireAsync(dir, "add", "-A");
        await Git.RequireAsync(dir, "commit", "-q", "-m", "initial");
        return new BenchRepo { Path = dir, Files = 2 + folders * filesPerFolder };
    }

    /// <summary>
    /// The bare git an attempt cannot avoid, on a worktree of this repository: <c>reset --hard</c> to the base,
    /// <c>clean -fdx</c>, <c>apply</c> the fix and <c>add -A</c> + <c>commit</c> it. Milliseconds.
    /// </summary>
    public static async Task<double> FloorAsync(string worktree, string baseCommit)
    {
        var clock = Stopwatch.StartNew();
        await Git.RequireAsync(worktree, "reset", "--hard", "-q", baseCommit);
        await Git.RequireAsync(worktree, "clean", "-fdxq");
        var apply = await Git.RunAsync(worktree, ["apply", "-"], FixDiff.Split("```diff\n")[1].Split("```")[0]);
        if (!apply.Ok) throw new GitException("floor: git apply failed: " + apply.Output);
        await Git.RequireAsync(worktree, "add", "-A");
        await Git.RequireAsync(worktree, "commit", "-q", "-m", "floor");
        return clock.Elapsed.TotalMilliseconds;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
