using System.Collections.Concurrent;
using Autopack.Core.Domain;
using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;
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
/// Picks the model for an attempt (the complexity's escalation chain, one rung per counted attempt) and calls it
/// through a Polly pipeline per provider: retries with exponential jittered backoff that honour Retry-After, a
/// circuit breaker (a provider that keeps failing is skipped until its break ends), a timeout. When a provider is
/// down the rung's next alternative is tried; when all are, <see cref="ModelUnavailableException"/> says until when.
/// </summary>
public sealed class ModelRouter
{
    /// <summary>A Retry-After longer than this is not slept through inside one call: the phase waits outside it.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);
    private readonly ModelOptions _options;
    private readonly IChatClientFactory _factory;
    private readonly ILogger<ModelRouter> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ResiliencePipeline> _pipelines;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _openUntil = new();

    public ModelRouter(ModelOptions options, IChatClientFactory factory, ILogger<ModelRouter> logger, TimeProvider? time = null)
    {
        _options = options;
        _factory = factory;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _pipelines = options.Providers.Values.ToDictionary(p => p.Name, BuildPipeline);
    }

    public ModelOptions Options => _options;

    public EscalationStep BuilderStep(Complexity complexity, int attemptNumber)
    {
        var chain = _options.Escalation[complexity];
        return chain[Math.Clamp(attemptNumber - 1, 0, chain.Count - 1)];
    }

    /// <summary>The configured auditor, else the builder's own rung.</summary>
    public EscalationStep AuditorStep(EscalationStep builderStep) => _options.Auditor ?? builderStep;

    public async Task<ModelCallResult> CallAsync(EscalationStep step, IList<ChatMessage> messages, ChatOptions chatOptions, CancellationToken ct)
    {
        var outages = new List<ProviderOutage>();
        foreach (var model in step.Alternatives)
        {
            var provider = _options.Providers[model.Provider];
            var client = _factory.Create(provider, model.Model);
            try
            {
                var response = await _pipelines[provider.Name].ExecuteAsync(
                    async token => await client.GetResponseAsync(messages, chatOptions, token), ct);
                return new ModelCallResult(provider, model, response);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                var until = _openUntil.TryGetValue(provider.Name, out var open) ? open : _time.GetUtcNow() + (RetryAfterOf(ex) ?? _options.RetryDelay * 4);
                outages.Add(new ProviderOutage(provider.Name, until, Describe(ex)));
                _logger.LogWarning(ex, "Model {Model} is unavailable until {Until:HH:mm:ss}Z ({Error}); trying the next alternative", model, until, Describe(ex));
            }
        }
        throw new ModelUnavailableException(outages, _time.GetUtcNow());
    }

    public static bool IsTransient(Exception ex) => ex switch
    {
        BrokenCircuitException or TimeoutRejectedException or HttpRequestException or IOException => true,
        TaskCanceledException => true,
        System.ClientModel.ClientResultException c => c.Status is 0 or 408 or 429 or >= 500,
        _ => StatusOf(ex) is 408 or 429 or >= 500 || ex.InnerException is not null && IsTransient(ex.InnerException),
    };

    private static string Describe(Exception ex) => ex switch
    {
        BrokenCircuitException => "circuit open after repeated failures",
        System.ClientModel.ClientResultException { Status: > 0 } c => $"HTTP {c.Status}",
        _ when StatusOf(ex) > 0 => $"HTTP {StatusOf(ex)}",
        _ => ex.GetBaseException().Message,
    };

    // The Anthropic SDK's API exceptions carry the HTTP status as a StatusCode property.
    private static int StatusOf(Exception ex) =>
        ex.GetType().GetProperty("StatusCode")?.GetValue(ex) switch
        {
            System.Net.HttpStatusCode code => (int)code,
            int i => i,
            _ => 0,
        };

    /// <summary>The provider's Retry-After (seconds or an HTTP date), where the client exposes the response.</summary>
    private TimeSpan? RetryAfterOf(Exception ex)
    {
        if (ex is not System.ClientModel.ClientResultException c || c.GetRawResponse() is not { } raw) return null;
        if (!raw.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value)) return null;
        if (int.TryParse(value, out var seconds)) return TimeSpan.FromSeconds(Math.Max(0, seconds));
        return DateTimeOffset.TryParse(value, out var at) ? at - _time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero : null;
    }

    private ResiliencePipeline BuildPipeline(ProviderConfig provider) => new ResiliencePipelineBuilder { TimeProvider = _time }
        .AddRetry(new RetryStrategyOptions
        {
            // An open circuit is not retried: the provider is down, try the next one.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => IsTransient(ex) && ex is not BrokenCircuitException),
            MaxRetryAttempts = Math.Max(1, _options.Retries),
            Delay = _options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && RetryAfterOf(ex) is { } after
                ? (TimeSpan?)(after < MaxRetryAfter ? after : MaxRetryAfter) : null),
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            FailureRatio = 0.5,
            MinimumThroughput = Math.Max(2, _options.Retries + 1), // one call with its retries all failing opens it
            SamplingDuration = TimeSpan.FromSeconds(60),
            BreakDuration = _options.BreakDuration,
            OnOpened = args =>
            {
                _openUntil[provider.Name] = _time.GetUtcNow() + args.BreakDuration;
                _logger.LogWarning("Model provider {Provider} keeps failing: circuit open for {Seconds:0}s", provider.Name, args.BreakDuration.TotalSeconds);
                return default;
            },
            OnClosed = _ => { _openUntil.TryRemove(provider.Name, out DateTimeOffset _); return default; },
            OnHalfOpened = _ => { _openUntil.TryRemove(provider.Name, out DateTimeOffset _); return default; },
        })
        .AddTimeout(provider.Timeout)
        .Build();
}

/// <summary>One provider that could not answer: until when it is considered down, and why.</summary>
public sealed record ProviderOutage(string Provider, DateTimeOffset Until, string Error)
{
    public override string ToString() => $"{Provider} until {Until.UtcDateTime:HH:mm:ss}Z ({Error})";
}

/// <summary>
/// Every alternative of a rung is down: the phase waits until the first may be back (no attempt is counted for it);
/// with no outage named, it may try again at once (<paramref name="raisedAt"/>, the router's clock).
/// </summary>
public sealed class ModelUnavailableException(IReadOnlyList<ProviderOutage> outages, DateTimeOffset raisedAt)
    : Exception("Every model provider of the rung is unavailable: " + string.Join("; ", outages))
{
    public IReadOnlyList<ProviderOutage> Outages { get; } = outages;
    public DateTimeOffset RetryAt => Outages.Count == 0 ? raisedAt : Outages.Min(o => o.Until);
}
