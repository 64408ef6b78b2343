using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Autopack.Tests.Foundation;

/// <summary>ServiceDefaults' probes: unlike the Aspire template (Development only), served in every environment.</summary>
public class ServiceDefaultsTests
{
    [Fact]
    public async Task Health_and_alive_are_served_in_production_hosting_with_autopacks_health_json()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["environment"] = Environments.Production });
        var anon = api.Anonymous();
        Assert.Equal(Environments.Production, api.Services.GetRequiredService<IHostEnvironment>().EnvironmentName);

        var health = await anon.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var body = await health.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((db.Connection.Identity, "connected", "healthy"),
            (body.GetProperty("database_identity").GetString(), body.GetProperty("database").GetString(), body.GetProperty("status").GetString()));
        var alive = await anon.GetAsync("/alive");
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (alive.StatusCode, await alive.Content.ReadAsStringAsync()));
    }
}
