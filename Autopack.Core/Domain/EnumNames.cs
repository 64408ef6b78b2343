using System.Text;

namespace Autopack.Core.Domain;

/// <summary>Enums travel and are stored as UPPER_SNAKE strings (CiRunning ⇄ CI_RUNNING).</summary>
public static class EnumNames
{
    public static string ToWire<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static bool TryParse<T>(string? wire, out T value) where T : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(wire)) return false;
        return Enum.TryParse(wire.Replace("_", ""), ignoreCase: true, out value) && Enum.IsDefined(value);
    }

    public static T Parse<T>(string wire) where T : struct, Enum =>
        TryParse<T>(wire, out var value) ? value : throw new FormatException($"'{wire}' is not a {typeof(T).Name}");
}
