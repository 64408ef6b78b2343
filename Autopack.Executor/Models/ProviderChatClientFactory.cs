using System.ClientModel;
using System.Collections.Concurrent;
using Anthropic;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Autopack.Executor.Models;

/// <summary>
/// The real clients: Anthropic through the official SDK's <c>AsIChatClient</c>; OpenAI, Gemini (its
/// OpenAI-compatible endpoint) and any OpenAI-compatible server through the OpenAI SDK with a base URL.
/// </summary>
public sealed class ProviderChatClientFactory : IChatClientFactory
{
    private readonly ConcurrentDictionary<(string, string), IChatClient> _clients = new();

    public IChatClient Create(ProviderConfig provider, string model) => _clients.GetOrAdd((provider.Name, model), _ => provider.Kind switch
    {
        "anthropic" => CreateAnthropic(provider, model),
        "openai" => CreateOpenAi(provider, model),
        _ => throw new InvalidOperationException($"Unknown provider kind '{provider.Kind}'."),
    });

    private static IChatClient CreateAnthropic(ProviderConfig provider, string model)
    {
        // Retries are Polly's job (ModelRouter), so the SDK's own are off.
        var client = provider.BaseUrl is null
            ? new AnthropicClient { ApiKey = provider.ApiKey!, Timeout = provider.Timeout, MaxRetries = 0 }
            : new AnthropicClient { ApiKey = provider.ApiKey!, Timeout = provider.Timeout, MaxRetries = 0, BaseUrl = provider.BaseUrl.ToString().TrimEnd('/') };
        return client.AsIChatClient(model);
    }

    private static IChatClient CreateOpenAi(ProviderConfig provider, string model)
    {
        var options = new OpenAIClientOptions { NetworkTimeout = provider.Timeout, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) };
        if (provider.BaseUrl is not null) options.Endpoint = provider.BaseUrl;
        // Local servers (Ollama, LM Studio) accept any key but the SDK requires one.
        var key = string.IsNullOrEmpty(provider.ApiKey) ? "not-needed" : provider.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), options).GetChatClient(model).AsIChatClient();
    }
}
