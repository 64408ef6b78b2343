using System.Collections;
using System.Text.RegularExpressions;

namespace Autopack.Executor.Sandbox;

/// <summary>
/// The variables a command on model-written code sees: an allow-list, never a deny-list, so a secret added to the
/// executor later does not leak by default. Names that look like secrets never pass, not even when listed.
/// </summary>
public static partial class SandboxEnvironment
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "PATH", "LANG", "LANGUAGE", "TZ", "TERM", "USER", "LOGNAME", "SHELL", "CI",
        "DOTNET_ROOT", "DOTNET_CLI_TELEMETRY_OPTOUT", "DOTNET_NOLOGO", "JAVA_HOME", "GOROOT", "NODE_ENV",
    };

    [GeneratedRegex(@"^(AUTOPACK_.*|.*_API_KEY|.*_TOKEN|.*_SECRET|.*_PASSWORD|.*_FILE|DATABASE_URL|ConnectionStrings__.*|ANTHROPIC_.*|OPENAI_.*|GEMINI_.*|GOOGLE_.*|QDRANT_.*|services__.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Secret();

    public static bool IsSecret(string name) => Secret().IsMatch(name);

    /// <summary>The allowed subset of <paramref name="source"/>, with <c>HOME</c> and <c>TMPDIR</c> set as given.</summary>
    public static Dictionary<string, string> Build(IDictionary source, IEnumerable<string> extra, string home, string tmp)
    {
        var allowed = new HashSet<string>(Allowed.Concat(extra), StringComparer.Ordinal);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in source)
        {
            var name = (string)e.Key;
            if ((allowed.Contains(name) || name.StartsWith("LC_", StringComparison.Ordinal)) && !IsSecret(name) && e.Value is string value)
                env[name] = value;
        }
        env.TryAdd("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env["HOME"] = home;
        env["TMPDIR"] = tmp;
        return env;
    }
}
