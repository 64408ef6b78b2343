namespace Autopack.Executor.Prompts;

public enum Verdict { Approve, Reject, Escalate }

/// <summary>The auditor's answer: a <c>VERDICT: X</c> line, then notes. No verdict line counts as a rejection.</summary>
public sealed record AuditorVerdict(Verdict Verdict, string Notes, bool Parsed)
{
    public static AuditorVerdict Parse(string? answer)
    {
        var text = (answer ?? "").Trim();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim().Trim('*', '`', ' ');
            if (!line.StartsWith("VERDICT:", StringComparison.OrdinalIgnoreCase)) continue;
            var word = new string(line["VERDICT:".Length..].Trim().TakeWhile(char.IsLetter).ToArray()).ToUpperInvariant();
            Verdict? v = word switch { "APPROVE" => Verdict.Approve, "REJECT" => Verdict.Reject, "ESCALATE" => Verdict.Escalate, _ => null };
            if (v is not null) return new AuditorVerdict(v.Value, text, true);
        }
        return new AuditorVerdict(Verdict.Reject, "The auditor's answer had no 'VERDICT: APPROVE|REJECT|ESCALATE' line: " + text, false);
    }
}
