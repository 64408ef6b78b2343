using System.Reflection;
using System.Text.RegularExpressions;
using Autopack.Core.Configuration;
using Autopack.Core.Domain;

namespace Autopack.Tests.Executor;

/// <summary>The wire values of reason codes and attempt statuses: the documented ones, no more, no fewer.</summary>
public partial class ReasonCodesTests
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Autopack.sln not found");

    private static List<string> Values(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order().ToList();

    [GeneratedRegex(@"^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)? \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [Fact]
    public void Every_reason_code_is_in_the_table_of_docs_executor_md_and_every_row_is_a_reason_code()
    {
        var doc = File.ReadAllText(Path.Combine(Repo, "docs", "executor.md"));
        var section = doc[doc.IndexOf("## Reason codes", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var documented = TableRow().Matches(section).SelectMany(m => new[] { m.Groups[1].Value, m.Groups[2].Value }).Where(v => v.Length > 0).Order().ToList();
        Assert.Equal(documented, Values(typeof(ReasonCodes)));
    }

    [Fact]
    public void Attempt_statuses_are_the_documented_outcomes()
    {
        Assert.Equal(["ABANDONED", "FAILED", "RUNNING", "STOPPED", "SUCCEEDED"], Values(typeof(AttemptStatus)));
        Assert.Equal(AttemptStatus.Running, new PhaseAttempt { RunId = "r", PhaseId = "p" }.Outcome);
    }
}
