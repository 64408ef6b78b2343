using System.Globalization;
using System.Text;

namespace Autopack.Bench.Harness;

/// <summary>One Markdown table of a benchmark's figures; printed and collected into docs/benchmarks.md.</summary>
public sealed class ResultTable(string title, params string[] columns)
{
    private readonly List<string[]> _rows = [];

    public string Title { get; } = title;

    /// <summary>How the figures were taken, printed under the table.</summary>
    public string? Note { get; init; }

    public void Add(params object[] cells) => _rows.Add(cells.Select(Format).ToArray());

    public static string Format(object cell) => cell switch
    {
        double d when double.IsNaN(d) => "–",
        double d when Math.Abs(d) >= 100 => d.ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        int i => i.ToString("N0", CultureInfo.InvariantCulture),
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "",
    };

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### {Title}").AppendLine();
        sb.AppendLine("| " + string.Join(" | ", columns) + " |");
        sb.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
        foreach (var row in _rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        if (Note is not null) sb.AppendLine().AppendLine(Note);
        return sb.ToString();
    }
}
