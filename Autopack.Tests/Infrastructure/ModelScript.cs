using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Autopack.Tests.Infrastructure;

/// <summary>What a scripted model sees of a request: role (builder/auditor, from the system prompt), model, phase, prompt.</summary>
public sealed record ScriptedRequest(string Role, string Model, string? RunId, string? PhaseId, string Prompt, int? MaxOutputTokens);

/// <summary>A scripted model answer with the usage and finish reason a real provider reports.</summary>
public sealed record ScriptedAnswer(string Text, int PromptTokens = 100, int CompletionTokens = 50, string FinishReason = "stop");

/// <summary>
/// The scripted "LLM" shared by the in-process <see cref="ScriptedChatClient"/> and the out-of-process
/// <see cref="FakeOpenAiServer"/>: a function from request to answer, plus a log of every request.
/// </summary>
public sealed partial class ModelScript(Func<ScriptedRequest, ScriptedAnswer> answer)
{
    public ConcurrentQueue<ScriptedRequest> Requests { get; } = new();

    [GeneratedRegex(@"Autopack-Phase-Id: ([^/\s]+)/(\S+)")]
    private static partial Regex Marker();

    public ScriptedAnswer Answer(string system, string prompt, string model, int? maxOutputTokens)
    {
        var role = system.Contains("ROLE: auditor") ? "auditor" : "builder";
        var m = Marker().Match(prompt);
        var request = new ScriptedRequest(role, model, m.Success ? m.Groups[1].Value : null, m.Success ? m.Groups[2].Value : null, prompt, maxOutputTokens);
        Requests.Enqueue(request);
        return answer(request);
    }

    /// <summary>Answers in order, the last one repeating: the simplest script for a test that knows the call sequence.</summary>
    public static ModelScript Sequence(params ScriptedAnswer[] answers)
    {
        var next = 0;
        return new ModelScript(_ => answers[Math.Min(Interlocked.Increment(ref next) - 1, answers.Length - 1)]);
    }

    public IReadOnlyList<ScriptedRequest> For(string role, string? phaseId = null) =>
        Requests.Where(r => r.Role == role && (phaseId is null || r.PhaseId == phaseId)).ToList();

    public static string Diff(string path, string oldLine, string newLine, string? context = "#!/bin/sh") => context is null
        ? $"```diff\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{oldLine}\n+{newLine}\n```\n"
        : $"```diff\n--- a/{path}\n+++ b/{path}\n@@ -1,2 +1,2 @@\n {context}\n-{oldLine}\n+{newLine}\n```\n";

    /// <summary>The greeting fix the target repo's test wants.</summary>
    public static readonly string GreetFix = Diff("greet.sh", "echo \"Hello, World\"", "echo \"Hello, Autopack\"");

    public static readonly ScriptedAnswer Approve = new("VERDICT: APPROVE\nLooks right.");
}
