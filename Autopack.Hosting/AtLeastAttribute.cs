using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Autopack.Hosting;

/// <summary>
/// A whole-number setting's least value, for options bound from variables with <see cref="ConfigurationKeyNameAttribute"/>.
/// The failure names the variable and the value as the operator set them (<c>AUTOPACK_X='0' must be an integer ≥ 1.</c>):
/// the generated validator's own <see cref="RangeAttribute"/> message names the C# member and ignores <c>ErrorMessage</c>.
/// Null (unset or empty) is valid: the option's default applies.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AtLeastAttribute(long minimum) : ValidationAttribute
{
    public long Minimum => minimum;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || Convert.ToInt64(value, CultureInfo.InvariantCulture) >= minimum
            ? ValidationResult.Success
            : new ValidationResult($"{VariableName(validationContext)}='{value}' must be an integer ≥ {minimum}.");

    /// <summary>The member's <see cref="ConfigurationKeyNameAttribute"/>; read only when a value fails.</summary>
    private static string VariableName(ValidationContext context) =>
        context.MemberName is { } member && context.ObjectType.GetProperty(member)?.GetCustomAttribute<ConfigurationKeyNameAttribute>() is { } key
            ? key.Name
            : context.DisplayName;
}
