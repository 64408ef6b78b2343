using System.Reflection;

namespace Autopack.Hosting;

/// <summary>
/// Version and commit (SourceLink's <c>InformationalVersion</c>, <c>1.0.0+sha</c>) and build time of the entry assembly.
/// The build time is the <c>BuildTime</c> stamp of a Release build (Directory.Build.props); other builds carry no stamp,
/// so that an unchanged tree does not recompile, and report when their assembly file was written.
/// </summary>
public sealed record BuildInfo(string Version, string Commit, string BuildTime)
{
    public static BuildInfo Current { get; } = Read(Assembly.GetEntryAssembly() ?? typeof(BuildInfo).Assembly);

    public static BuildInfo Read(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+');
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        var buildTime = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildTime")?.Value
                        ?? FileWrittenAt(assembly) ?? "unknown";
        return new BuildInfo(version, commit, buildTime);
    }

    private static string? FileWrittenAt(Assembly assembly) =>
        assembly.Location is { Length: > 0 } path && File.Exists(path)
            ? File.GetLastWriteTimeUtc(path).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
