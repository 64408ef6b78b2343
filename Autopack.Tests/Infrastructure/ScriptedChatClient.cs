using Autopack.Executor.Models;
using Microsoft.Extensions.AI;

namespace Autopack.Tests.Infrastructure;

/// <summary>An in-process <see cref="IChatClient"/> answering from a <see cref="ModelScript"/>, with usage and finish reason like a real one.</summary>
public sealed class ScriptedChatClient(ModelScript script, string model) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var system = string.Join("\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var prompt = string.Join("\n", list.Where(m => m.Role != ChatRole.System).Select(m => m.Text));
        var answer = script.Answer(system, prompt, model, options?.MaxOutputTokens);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, answer.Text))
        {
            ModelId = model,
            FinishReason = answer.FinishReason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = answer.PromptTokens, OutputTokenCount = answer.CompletionTokens, TotalTokenCount = answer.PromptTokens + answer.CompletionTokens },
        };
        return Task.FromResult(response);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The executor does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

public sealed class ScriptedChatClientFactory(ModelScript script) : IChatClientFactory
{
    public IChatClient Create(ProviderConfig provider, string model) => new ScriptedChatClient(script, model);
}
