using System.Net.Http;
using Autopack.Core.Domain;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Autopack.Executor.Models;

public sealed record ModelCallResult(ProviderConfig Provider, ModelRef Model, ChatResponse Response)
{
    public long PromptTokens => Response.Usage?.InputTokenCount ?? 0;
    public long CompletionTokens => Response.Usage?.OutputTokenCount ?? 0;
    public bool Truncated => Response.FinishReason == ChatFinishReason.Length;
}

/// <summary>
/// Picks the model for an attempt (the complexity's escalation chain, one rung per failed attempt) and calls
/// it through a Polly pipeline per provider (timeout, one retry on transient errors); when a provider keeps
/// failing transiently, the rung's next alternative (another provider) is tried.
/// </summary>
public sealed class ModelRouter(ModelOptions options, IChatClientFactory factory, ILogger<ModelRouter> logger)
{
    private readonly Dictionary<string, ResiliencePipeline> _pipelines = options.Providers.Values.ToDictionary(p => p.Name, p => BuildPipeline(p));

    public ModelOptions Options => options;

    public EscalationStep BuilderStep(Complexity complexity, int attemptNumber)
    {
        var chain = options.Escalation[complexity];
        return chain[Math.Clamp(attemptNumber - 1, 0, chain.Count - 1)];
    }

    /// <summary>The configured auditor, else the builder's own rung.</summary>
    public EscalationStep AuditorStep(EscalationStep builderStep) => options.Auditor ?? builderStep;

    public async Task<ModelCallResult> CallAsync(EscalationStep step, IList<ChatMessage> messages, ChatOptions chatOptions, CancellationToken ct)
    {
        Exception? last = null;
        foreach (var model in step.Alternatives)
        {
            var provider = options.Providers[model.Provider];
            var client = factory.Create(provider, model.Model);
            try
            {
                var response = await _pipelines[provider.Name].ExecuteAsync(
                    async token => await client.GetResponseAsync(messages, chatOptions, token), ct);
                return new ModelCallResult(provider, model, response);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Model {Model} failed transiently ({Error}); falling back to the next provider", model, ex.Message);
                last = ex;
            }
        }
        throw new ModelUnavailableException($"Every model of rung {step} failed transiently: {last?.Message}", last);
    }

    public static bool IsTransient(Exception ex) => ex switch
    {
        TimeoutRejectedException or HttpRequestException or IOException => true,
        TaskCanceledException => true,
        System.ClientModel.ClientResultException c => c.Status is 0 or 408 or 429 or >= 500,
        _ => StatusOf(ex) is 408 or 429 or >= 500 || ex.InnerException is not null && IsTransient(ex.InnerException),
    };

    // The Anthropic SDK's API exceptions carry the HTTP status as a StatusCode property.
    private static int StatusOf(Exception ex) =>
        ex.GetType().GetProperty("StatusCode")?.GetValue(ex) switch
        {
            System.Net.HttpStatusCode code => (int)code,
            int i => i,
            _ => 0,
        };

    private static ResiliencePipeline BuildPipeline(ProviderConfig provider) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = 1,
            Delay = TimeSpan.FromMilliseconds(500),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .AddTimeout(provider.Timeout)
        .Build();
}

public sealed class ModelUnavailableException(string message, Exception? inner) : Exception(message, inner);
