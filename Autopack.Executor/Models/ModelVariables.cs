using System.ComponentModel.DataAnnotations;
using Autopack.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Executor.Models;

/// <summary>
/// The model variables (docs/executor.md, Models), bound once at start by the names on each property and checked by the
/// generated <see cref="ModelVariablesValidator"/>; <see cref="ModelOptions.Load"/> turns them into providers and chains
/// (the API keys come from <c>AutopackSettings.Secret</c>, so <c>*_FILE</c> works). A wrong number stops the executor
/// naming the variable instead of quietly falling back to the default.
/// </summary>
public sealed class ModelVariables : IValidatableObject
{
    [ConfigurationKeyName("ANTHROPIC_BASE_URL")] public string? AnthropicBaseUrl { get; set; }
    [ConfigurationKeyName("OPENAI_BASE_URL")] public string? OpenAiBaseUrl { get; set; }
    [ConfigurationKeyName("GEMINI_BASE_URL")] public string? GeminiBaseUrl { get; set; }
    [ConfigurationKeyName("AUTOPACK_OPENAI_COMPAT_URL")] public string? CompatUrl { get; set; }
    [ConfigurationKeyName("AUTOPACK_OPENAI_COMPAT_API_KEY")] public string? CompatApiKey { get; set; }
    [ConfigurationKeyName("AUTOPACK_OPENAI_COMPAT_MODEL")] public string? CompatModel { get; set; }
    [ConfigurationKeyName("AUTOPACK_TIMEOUT_ANTHROPIC_SECONDS")] [AtLeast(1)] public int? AnthropicTimeoutSeconds { get; set; }
    [ConfigurationKeyName("AUTOPACK_TIMEOUT_OPENAI_SECONDS")] [AtLeast(1)] public int? OpenAiTimeoutSeconds { get; set; }
    [ConfigurationKeyName("AUTOPACK_TIMEOUT_GEMINI_SECONDS")] [AtLeast(1)] public int? GeminiTimeoutSeconds { get; set; }
    [ConfigurationKeyName("AUTOPACK_TIMEOUT_COMPAT_SECONDS")] [AtLeast(1)] public int? CompatTimeoutSeconds { get; set; }
    /// <summary>Comma-separated rungs of <c>provider:model|fallback</c>, per complexity.</summary>
    [ConfigurationKeyName("AUTOPACK_ESCALATION_LOW")] public string? EscalationLow { get; set; }
    [ConfigurationKeyName("AUTOPACK_ESCALATION_MEDIUM")] public string? EscalationMedium { get; set; }
    [ConfigurationKeyName("AUTOPACK_ESCALATION_HIGH")] public string? EscalationHigh { get; set; }
    [ConfigurationKeyName("AUTOPACK_AUDITOR_MODEL")] public string? AuditorModel { get; set; }
    [ConfigurationKeyName("AUTOPACK_MODEL_RETRIES")] [AtLeast(1)] public int? Retries { get; set; }
    [ConfigurationKeyName("AUTOPACK_MODEL_BREAK_SECONDS")] [AtLeast(1)] public int? BreakSeconds { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (variable, value) in new[]
        {
            ("ANTHROPIC_BASE_URL", AnthropicBaseUrl), ("OPENAI_BASE_URL", OpenAiBaseUrl), ("GEMINI_BASE_URL", GeminiBaseUrl),
            ("AUTOPACK_OPENAI_COMPAT_URL", CompatUrl),
        })
        {
            if (!string.IsNullOrWhiteSpace(value) && !Uri.TryCreate(value, UriKind.Absolute, out _))
                yield return new ValidationResult($"{variable}='{value}' is not an absolute URL.");
        }
    }
}

[OptionsValidator]
public sealed partial class ModelVariablesValidator : IValidateOptions<ModelVariables>;
