using System.Globalization;
using System.Reflection;
using Autopack.Hosting;
using Autopack.OutboxWorker.Relay;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Unit")]
public class BuildInfoTests
{
    private static readonly Assembly Service = typeof(OutboxRelay).Assembly;

    private static bool IsRelease(Assembly a) => a.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration == "Release";

    [Fact]
    public void Version_carries_the_commit_and_a_build_time()
    {
        var info = BuildInfo.Read(Service);
        Assert.Matches("^[0-9a-f]{40}$", info.Commit); // SourceLink: InformationalVersion is 1.0.0+<sha>
        Assert.True(DateTime.TryParseExact(info.BuildTime, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal, out var builtAt), info.BuildTime);
        Assert.InRange(builtAt, DateTime.UtcNow.AddDays(-30), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Only_release_builds_are_stamped_so_an_unchanged_debug_tree_does_not_recompile()
    {
        var stamp = Service.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildTime");
        if (IsRelease(Service))
        {
            Assert.NotNull(stamp);
            return;
        }
        // A per-build value in the assembly attributes changes every project's generated AssemblyInfo, and with it
        // every compile's inputs: each build recompiled the whole solution. Debug reports the file's write time.
        Assert.Null(stamp);
        var written = File.GetLastWriteTimeUtc(Service.Location).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        Assert.Equal(written, BuildInfo.Read(Service).BuildTime);
    }
}
