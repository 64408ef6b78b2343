using System.Reflection;

namespace Microsoft.Extensions.Hosting;

/// <summary>Version, commit and build time stamped into the entry assembly at build (see Directory.Build.props).</summary>
public sealed record BuildInfo(string Version, string Commit, string BuildTime)
{
    public static BuildInfo Current { get; } = Read(Assembly.GetEntryAssembly() ?? typeof(BuildInfo).Assembly);

    private static BuildInfo Read(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+');
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        var buildTime = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildTime")?.Value ?? "unknown";
        return new BuildInfo(version, commit, buildTime);
    }
}
