namespace Autopack.Core.Configuration;

/// <summary>
/// Resolves secrets with the precedence <c>X_FILE</c> &gt; <c>X</c> &gt; default. A named file that is
/// missing, unreadable or empty is a startup error naming the variable, never a silent fallback.
/// </summary>
public sealed class SecretResolver(Func<string, string?> env)
{
    public static SecretResolver FromEnvironment() => new(Environment.GetEnvironmentVariable);

    /// <summary>Resolved secrets plus the warnings met on the way (deprecated aliases).</summary>
    public (IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> Warnings) ResolveAll()
    {
        var values = new Dictionary<string, string>();
        var warnings = new List<string>();
        foreach (var name in SecretNames.All)
        {
            var value = Resolve(name);
            if (value is not null) values[name] = value;
        }
        if (values.TryGetValue(SecretNames.GeminiApiKey, out var gemini))
        {
            warnings.Add($"{SecretNames.GeminiApiKey} is deprecated; set {SecretNames.GoogleApiKey} instead.");
            values.TryAdd(SecretNames.GoogleApiKey, gemini);
            values.Remove(SecretNames.GeminiApiKey);
        }
        return (values, warnings);
    }

    public string? Resolve(string name, string? defaultValue = null)
    {
        var file = env(name + "_FILE");
        if (!string.IsNullOrEmpty(file))
        {
            string content;
            try { content = File.ReadAllText(file); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new SecretFileException(name, $"{name}_FILE points to '{file}', which cannot be read: {ex.Message}");
            }
            content = content.Trim();
            if (content.Length == 0)
                throw new SecretFileException(name, $"{name}_FILE points to '{file}', which is empty.");
            return content;
        }
        var direct = env(name);
        return string.IsNullOrEmpty(direct) ? defaultValue : direct;
    }
}

public sealed class SecretFileException(string variable, string message) : Exception(message)
{
    public string Variable { get; } = variable;
}
