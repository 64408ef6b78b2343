using System.ComponentModel.DataAnnotations;
using Autopack.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Executor.Sandbox;

/// <summary>
/// The sandbox's variables (AUTOPACK_SANDBOX*, docs/executor.md), bound once at start with the executor's and checked by the
/// generated <see cref="SandboxVariablesValidator"/>; <see cref="ToOptions"/> gives <see cref="SandboxOptions"/> (sizes in MiB
/// into bytes). An empty or unset variable keeps the default of <see cref="SandboxOptions"/>.
/// </summary>
public sealed class SandboxVariables : IValidatableObject
{
    /// <summary><c>required</c>, <c>auto</c> or <c>off</c>; unset: required in production, else auto.</summary>
    [ConfigurationKeyName("AUTOPACK_SANDBOX")] public string? Mode { get; set; }
    [ConfigurationKeyName("AUTOPACK_SANDBOX_BWRAP")] public string? BwrapPath { get; set; }
    /// <summary><c>opt-in</c>, <c>deny</c> or <c>all</c> (see <see cref="NetworkPolicy"/>).</summary>
    [ConfigurationKeyName("AUTOPACK_SANDBOX_NETWORK")] public string? Network { get; set; }
    [ConfigurationKeyName("AUTOPACK_SANDBOX_MEMORY_MB")] [AtLeast(64)] public long? MemoryMb { get; set; }
    [ConfigurationKeyName("AUTOPACK_SANDBOX_MAX_PROCESSES")] [AtLeast(16)] public int? MaxProcesses { get; set; }
    [ConfigurationKeyName("AUTOPACK_SANDBOX_MAX_FILE_MB")] [AtLeast(1)] public long? MaxFileMb { get; set; }
    [ConfigurationKeyName("AUTOPACK_SANDBOX_MAX_OUTPUT_MB")] [AtLeast(1)] public long? MaxOutputMb { get; set; }
    /// <summary>Comma-separated variable names.</summary>
    [ConfigurationKeyName("AUTOPACK_SANDBOX_ENV")] public string? ExtraEnvironment { get; set; }
    /// <summary>Comma-separated host paths.</summary>
    [ConfigurationKeyName("AUTOPACK_SANDBOX_HIDE")] public string? HiddenPaths { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Mode) && !Enum.TryParse<SandboxMode>(Mode, ignoreCase: true, out _))
            yield return new ValidationResult($"AUTOPACK_SANDBOX='{Mode}' must be required, auto or off.");
        if (NetworkPolicy(Network) is null)
            yield return new ValidationResult($"AUTOPACK_SANDBOX_NETWORK='{Network}' must be opt-in, deny or all.");
    }

    public SandboxOptions ToOptions(bool isProduction)
    {
        var d = new SandboxOptions();
        return d with
        {
            Mode = string.IsNullOrWhiteSpace(Mode) ? isProduction ? SandboxMode.Required : SandboxMode.Auto : Enum.Parse<SandboxMode>(Mode, ignoreCase: true),
            BwrapPath = string.IsNullOrWhiteSpace(BwrapPath) ? d.BwrapPath : BwrapPath,
            Network = NetworkPolicy(Network) ?? d.Network,
            MemoryBytes = MemoryMb is { } memory ? memory << 20 : d.MemoryBytes,
            MaxProcesses = MaxProcesses ?? d.MaxProcesses,
            MaxFileBytes = MaxFileMb is { } file ? file << 20 : d.MaxFileBytes,
            MaxOutputBytes = MaxOutputMb is { } output ? output << 20 : d.MaxOutputBytes,
            ExtraEnvironment = List(ExtraEnvironment),
            HiddenPaths = List(HiddenPaths).Select(Path.GetFullPath).ToList(),
        };
    }

    /// <summary>Null for a value that is none of the policies.</summary>
    private static SandboxNetworkPolicy? NetworkPolicy(string? raw) => raw?.Trim().ToLowerInvariant() switch
    {
        null or "" or "opt-in" => SandboxNetworkPolicy.OptIn,
        // Before a run plan could opt in, 0/false meant "no network for anything": an operator who wrote it keeps that.
        "deny" or "0" or "false" => SandboxNetworkPolicy.Deny,
        "all" or "1" or "true" => SandboxNetworkPolicy.All,
        _ => null,
    };

    private static string[] List(string? raw) => (raw ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The data-annotation checks of <see cref="SandboxVariables"/>, generated at compile time.</summary>
[OptionsValidator]
public sealed partial class SandboxVariablesValidator : IValidateOptions<SandboxVariables>;
