using Autopack.Core.Configuration;
using Autopack.Core.Domain;
using Autopack.Hosting;

namespace Autopack.Executor.Models;

/// <summary><c>provider:model</c>, e.g. <c>anthropic:claude-sonnet-4-5</c>, <c>compat:qwen2.5-coder:7b</c> (first colon splits).</summary>
public sealed record ModelRef(string Provider, string Model)
{
    public static ModelRef Parse(string text)
    {
        var i = text.IndexOf(':');
        if (i <= 0 || i == text.Length - 1) throw new FormatException($"'{text}' is not provider:model (e.g. openai:gpt-4.1-mini).");
        return new ModelRef(text[..i].Trim().ToLowerInvariant(), text[(i + 1)..].Trim());
    }

    public override string ToString() => $"{Provider}:{Model}";
}

/// <summary>One rung of an escalation chain: the model to use, then the ones to fall back to on transient errors.</summary>
public sealed record EscalationStep(IReadOnlyList<ModelRef> Alternatives)
{
    /// <summary><c>a:m1|b:m2</c>: try a:m1, on a transient error b:m2.</summary>
    public static EscalationStep Parse(string text) =>
        new(text.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ModelRef.Parse).ToList());

    public override string ToString() => string.Join("|", Alternatives);
}

/// <summary>An LLM endpoint. Kind <c>anthropic</c> speaks the Messages API; <c>openai</c> the Chat Completions API (OpenAI, Gemini, Ollama, vLLM, LM Studio).</summary>
public sealed record ProviderConfig(string Name, string Kind, Uri? BaseUrl, string? ApiKey, TimeSpan Timeout);

/// <summary>Which providers are configured and which models each complexity climbs through.</summary>
public sealed class ModelOptions
{
    public const string GeminiOpenAiEndpoint = "https://generativelanguage.googleapis.com/v1beta/openai/";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public required IReadOnlyDictionary<string, ProviderConfig> Providers { get; init; }
    public required IReadOnlyDictionary<Complexity, IReadOnlyList<EscalationStep>> Escalation { get; init; }
    public EscalationStep? Auditor { get; init; }
    /// <summary>Retries of one provider call on a transient error (timeouts, network, 408/429/5xx), honouring Retry-After.</summary>
    public int Retries { get; init; } = 2;
    /// <summary>First retry delay when the provider sends no Retry-After (doubling, jittered).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How long a provider's circuit stays open after it kept failing: calls to it fail fast meanwhile.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    public bool Any => Providers.Count > 0;

    public const string NoProviderReason =
        "waiting: no model provider configured (set ANTHROPIC_API_KEY, OPENAI_API_KEY, GOOGLE_API_KEY or AUTOPACK_OPENAI_COMPAT_URL on the executor)";

    /// <summary>
    /// Providers and chains from the model variables (<see cref="ModelVariables"/>, bound and validated here: every wrong
    /// value named together) and the API keys (secrets, <c>*_FILE</c> too); then <see cref="Validate"/>.
    /// </summary>
    public static ModelOptions Load(IConfiguration c, AutopackSettings settings)
    {
        var problems = new List<string>();
        var v = ConfigurationVariables.Bind(c, new ModelVariablesValidator(), problems);
        if (problems.Count > 0)
            throw new InvalidOperationException("Model configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => " - " + p)));

        static TimeSpan Timeout(int? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : DefaultTimeout;
        static Uri? Url(string? raw) => string.IsNullOrWhiteSpace(raw) ? null : new Uri(raw, UriKind.Absolute);

        var providers = new Dictionary<string, ProviderConfig>();
        if (settings.Secret("ANTHROPIC_API_KEY") is { } anthropic)
            providers["anthropic"] = new("anthropic", "anthropic", Url(v.AnthropicBaseUrl), anthropic, Timeout(v.AnthropicTimeoutSeconds));
        if (settings.Secret("OPENAI_API_KEY") is { } openai)
            providers["openai"] = new("openai", "openai", Url(v.OpenAiBaseUrl), openai, Timeout(v.OpenAiTimeoutSeconds));
        if (settings.Secret("GOOGLE_API_KEY") is { } google)
            providers["gemini"] = new("gemini", "openai", Url(v.GeminiBaseUrl) ?? new Uri(GeminiOpenAiEndpoint), google, Timeout(v.GeminiTimeoutSeconds));
        if (Url(v.CompatUrl) is { } compat)
            providers["compat"] = new("compat", "openai", compat, v.CompatApiKey, Timeout(v.CompatTimeoutSeconds));

        var escalation = new Dictionary<Complexity, IReadOnlyList<EscalationStep>>();
        foreach (var complexity in Enum.GetValues<Complexity>())
        {
            var raw = complexity switch { Complexity.Low => v.EscalationLow, Complexity.Medium => v.EscalationMedium, _ => v.EscalationHigh };
            escalation[complexity] = string.IsNullOrWhiteSpace(raw)
                ? DefaultChain(providers.Keys, complexity, v.CompatModel)
                : raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(EscalationStep.Parse).ToList();
        }
        var options = new ModelOptions
        {
            Providers = providers,
            Escalation = escalation,
            Auditor = string.IsNullOrWhiteSpace(v.AuditorModel) ? null : EscalationStep.Parse(v.AuditorModel),
            Retries = v.Retries ?? 2,
            BreakDuration = TimeSpan.FromSeconds(v.BreakSeconds ?? 30),
        };
        options.Validate();
        return options;
    }

    /// <summary>Every model named must belong to a configured provider (a typo must not surface at 3 a.m.).</summary>
    public void Validate()
    {
        if (!Any) return;
        var named = Escalation.Values.SelectMany(s => s).Append(Auditor).OfType<EscalationStep>().SelectMany(s => s.Alternatives);
        var unknown = named.Where(m => !Providers.ContainsKey(m.Provider)).Select(m => m.ToString()).Distinct().ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"Models name providers that are not configured: {string.Join(", ", unknown)} (configured: {string.Join(", ", Providers.Keys)}).");
        foreach (var (complexity, chain) in Escalation)
            if (chain.Count == 0) throw new InvalidOperationException($"The escalation chain for {complexity} is empty.");
    }

    private static readonly string[] ProviderPreference = ["anthropic", "openai", "gemini", "compat"];

    /// <summary>cheap → mid → strongest of the first configured provider, the others as fallbacks at the same rung.</summary>
    private static IReadOnlyList<EscalationStep> DefaultChain(IEnumerable<string> configured, Complexity complexity, string? compatModel)
    {
        var ladders = new Dictionary<string, string[]>
        {
            ["anthropic"] = ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"],
            ["openai"] = ["gpt-4.1-mini", "gpt-4.1", "o3"],
            ["gemini"] = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-pro"],
            ["compat"] = Enumerable.Repeat(compatModel ?? "llama3.1", 3).ToArray(),
        };
        var order = ProviderPreference.Where(configured.Contains).ToList();
        if (order.Count == 0) return [];
        var start = complexity switch { Complexity.Low => 0, Complexity.Medium => 1, _ => 2 };
        return Enumerable.Range(start, 3 - start)
            .Select(rung => new EscalationStep(order.Select(p => new ModelRef(p, ladders[p][rung])).ToList()))
            .ToList();
    }
}
