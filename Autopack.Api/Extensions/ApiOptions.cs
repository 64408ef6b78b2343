using System.ComponentModel.DataAnnotations;
using Autopack.Api.Apis;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>
/// The API's settings beside its request limits (<see cref="ApiLimitsOptions"/>); bound once from the variables named on each
/// property, validated at start.
/// </summary>
public sealed class ApiOptions : IValidatableObject
{
    /// <summary>Comma-separated absolute paths; when set, a run's <c>repo_path</c> must lie inside one (<see cref="RepoPathPolicy"/>).</summary>
    [ConfigurationKeyName("AUTOPACK_REPO_ROOTS")] public string? RepoRoots { get; set; }
    /// <summary><c>1</c>: anonymous callers pass viewer-level checks, outside production only (production refuses to start with it).</summary>
    [ConfigurationKeyName("AUTOPACK_PUBLIC_READ")] public string? PublicRead { get; set; }
    /// <summary>Telegram's Bot API base URL for the webhook's answers (a test server in tests); empty means Telegram's own.</summary>
    [ConfigurationKeyName("TELEGRAM_API_BASE_URL")] public string? TelegramApiBase { get; set; }

    /// <summary>With the <c>AUTOPACK_ADMIN_PASSWORD</c> secret: the first dashboard admin, created once when absent.</summary>
    [ConfigurationKeyName("AUTOPACK_ADMIN_USER")] public string? AdminUser { get; set; }

    public bool PublicReadRequested => PublicRead == "1";

    public Uri? TelegramApiBaseUrl => string.IsNullOrEmpty(TelegramApiBase) ? null : new Uri(TelegramApiBase);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // At start, so a wrong root stops the service instead of failing the first create.
        if (RepoPathPolicy.RootsProblem(RepoRoots) is { } problem) yield return new ValidationResult(problem);
    }
}

/// <summary>The data-annotation checks of <see cref="ApiOptions"/>, generated at compile time.</summary>
[OptionsValidator]
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
