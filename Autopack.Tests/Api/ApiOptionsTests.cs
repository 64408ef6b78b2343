using Autopack.Api.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Tests.Api;

/// <summary>The API's settings beside its limits come from their variables through the API's own registration, validated once.</summary>
[Trait("Category", "Unit")]
public class ApiOptionsTests
{
    private static IOptions<ApiOptions> Register(Dictionary<string, string?> variables)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(variables);
        builder.AddApiServices();
        return builder.Services.BuildServiceProvider().GetRequiredService<IOptions<ApiOptions>>();
    }

    [Fact]
    public void Every_variable_reaches_its_option()
    {
        var o = Register(new() { ["AUTOPACK_REPO_ROOTS"] = "/srv/repos", ["AUTOPACK_PUBLIC_READ"] = "1", ["TELEGRAM_API_BASE_URL"] = "http://127.0.0.1:9/" }).Value;
        Assert.Equal(("/srv/repos", true, "http://127.0.0.1:9/"), (o.RepoRoots, o.PublicReadRequested, o.TelegramApiBaseUrl?.ToString()));
        var defaults = Register(new() { ["AUTOPACK_PUBLIC_READ"] = "true" }).Value;
        Assert.Equal((null, false, null), (defaults.RepoRoots, defaults.PublicReadRequested, defaults.TelegramApiBaseUrl));
    }

    [Fact]
    public void A_wrong_repository_root_stops_the_api_at_start_naming_the_variable()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Register(new() { ["AUTOPACK_REPO_ROOTS"] = "/srv/repos, relative/repos" }).Value);
        Assert.Equal("AUTOPACK_REPO_ROOTS: 'relative/repos' must be an absolute path.", Assert.Single(ex.Failures));
    }
}
