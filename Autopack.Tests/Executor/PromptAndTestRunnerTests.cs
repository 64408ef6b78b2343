using System.Diagnostics;
using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Memory;
using Autopack.Executor.Prompts;
using Autopack.Executor.Testing;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Executor;

[Trait("Category", "Unit")]
public class PromptAndTestRunnerTests
{
    [Fact]
    public async Task The_builder_prompt_holds_scope_files_context_memory_and_failure_within_the_cap()
    {
        using var repo = TargetRepo.Create(new Dictionary<string, string>
        {
            ["src/big.txt"] = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n")),
            ["src/small.txt"] = "small file\n",
            ["README.md"] = "read me\n",
        });
        var builder = new PromptBuilder(new ExecutorOptions { WorktreeRoot = "/tmp", PromptMaxChars = 6_000 });
        var phase = new Phase
        {
            RunId = "r1", PhaseId = "P7", TierId = "T1", Name = "Tidy", Description = "Tidy the sources.",
            ScopePaths = ["src", "src/new.txt"], ReadOnlyContext = ["README.md"], TestCommand = "sh test.sh",
        };
        var messages = await builder.BuildBuilderAsync(phase, repo.Path, "CI_FAILED: " + new string('x', 20_000),
            [new MemoryHit("fix", "Quote paths in shell scripts", 0.8, "r0", "P1")], default);

        Assert.Contains("ROLE: builder", messages[0].Text);
        var prompt = messages[1].Text;
        Assert.Contains(PromptBuilder.PhaseMarker("r1", "P7"), prompt);
        Assert.Contains("### src/small.txt", prompt);
        Assert.Contains("small file", prompt);
        Assert.Contains("### src/new.txt\n(does not exist yet)", prompt);
        Assert.Contains("## Read-only context", prompt);
        Assert.Contains("read me", prompt);
        Assert.Contains("[fix] Quote paths in shell scripts", prompt);
        Assert.Contains("The previous attempt failed", prompt);
        Assert.Contains("characters omitted", prompt); // big file and failure output were cut
        Assert.True(prompt.Length < 8_000, $"prompt is {prompt.Length} chars");
    }

    [Fact]
    public async Task Test_commands_report_exit_and_output_and_a_timeout_kills_the_process_tree()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-tests-").FullName;
        var ok = await TestCommandRunner.RunAsync("echo out; echo err >&2; exit 3", dir, TimeSpan.FromSeconds(10), 1000, default);
        Assert.Equal((3, false, false), (ok.ExitCode, ok.TimedOut, ok.Passed));
        Assert.Contains("out", ok.Output);
        Assert.Contains("err", ok.Output);

        var sw = Stopwatch.StartNew();
        var slow = await TestCommandRunner.RunAsync("sleep 39.5; echo never", dir, TimeSpan.FromMilliseconds(500), 1000, default);
        Assert.True(slow.TimedOut);
        Assert.Null(slow.ExitCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Contains("timed out", slow.Output);
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).StartsWith("sleep\039.5"); } catch (Exception) { return false; }
        });

        // Its own process group: a background process it leaves is killed when it exits (and cannot hold the output open).
        var record = Path.Combine(dir, "wt.test-pgid");
        sw.Restart();
        var detached = await TestCommandRunner.RunAsync("sleep 38.5 & sleep 0.3; cat " + record + "; echo", dir, TimeSpan.FromSeconds(10), 1000, default, record);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        Assert.Matches(@"^\d+\n", detached.Output); // the group was recorded while it ran…
        Assert.False(File.Exists(record)); // …and forgotten after
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).StartsWith("sleep\038.5"); } catch (Exception) { return false; }
        });

        var truncated = TestCommandRunner.Truncate(string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i};")), 200);
        Assert.StartsWith("0;1;2;", truncated);
        Assert.EndsWith("998;999;", truncated);
        Assert.Contains("characters omitted", truncated);
    }
}
