using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Autopack.Executor.Models;
using Microsoft.Extensions.AI;

namespace Autopack.Bench.Harness;

/// <summary>
/// An in-process model that answers at once, so a phase's wall time is the executor's own work plus the target's tests.
/// The builder's first answer of each phase breaks the test, every later one fixes it; the auditor approves. Every call's
/// start and end are recorded, so the (tiny) model time can be taken out of the overhead.
/// </summary>
public sealed partial class ZeroLatencyModel(string wrongDiff, string fixDiff) : IChatClientFactory
{
    private readonly ConcurrentDictionary<string, int> _builderCalls = new();

    public ConcurrentQueue<(DateTime Start, DateTime End)> Calls { get; } = new();

    [GeneratedRegex(@"Autopack-Phase-Id: (\S+)")]
    private static partial Regex Marker();

    public IChatClient Create(ProviderConfig provider, string model) => new Client(this, model);

    private string Answer(IEnumerable<ChatMessage> messages)
    {
        var list = messages.ToList();
        if (list.Any(m => m.Role == ChatRole.System && m.Text.Contains("ROLE: auditor"))) return "VERDICT: APPROVE\nLooks right.";
        var phase = Marker().Match(string.Join("\n", list.Select(m => m.Text))).Groups[1].Value;
        return _builderCalls.AddOrUpdate(phase, 1, (_, n) => n + 1) == 1 ? wrongDiff : fixDiff;
    }

    private sealed class Client(ZeroLatencyModel owner, string model) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var start = DateTime.UtcNow;
            var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, owner.Answer(messages)))
            {
                ModelId = model,
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 50, TotalTokenCount = 150 },
            };
            owner.Calls.Enqueue((start, DateTime.UtcNow));
            return Task.FromResult(response);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The executor does not stream.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
