using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The real API in process (WebApplicationFactory) on a <see cref="TestDatabase"/>, with a bootstrapped admin
/// key and admin user. Settings can be overridden per test (limits, public read, ...).
/// </summary>
public sealed class ApiFactory(TestDatabase database, IDictionary<string, string?>? settings = null) : WebApplicationFactory<Autopack.Api.Auth.JwtKeys> // any type of the API assembly names its entry point
{
    public const string AdminKey = "test-admin-key-0123456789abcdef0123456789";
    public const string AdminUser = "admin";
    public const string AdminPassword = "admin-password-123";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public TestDatabase Database { get; } = database;

    /// <summary>The address every in-process request appears to come from (TestServer has none of its own).</summary>
    public IPAddress ClientAddress { get; set; } = IPAddress.Parse("10.1.2.3");

    /// <summary>The API's clock instead of the system's (a <c>FakeTimeProvider</c> for tests about cache ages and deadlines).</summary>
    public TimeProvider? Clock { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var all = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = Database.Url,
            ["AUTOPACK_STATE_DIR"] = Database.StateRoot,
            ["AUTOPACK_API_KEY"] = AdminKey,
            ["AUTOPACK_ADMIN_USER"] = AdminUser,
            ["AUTOPACK_ADMIN_PASSWORD"] = AdminPassword,
            ["AUTOPACK_SSE_POLL_MS"] = "50",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        foreach (var (k, v) in all) builder.UseSetting(k, v);
        builder.ConfigureServices(s => s.AddTransient<IStartupFilter>(_ => new ClientAddressFilter(this)));
        if (Clock is { } clock) builder.ConfigureTestServices(s => s.AddSingleton(clock));
    }

    public HttpClient Admin() => WithKey(AdminKey);

    public HttpClient Anonymous() => CreateClient();

    public HttpClient WithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    public HttpClient WithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A new API key with the given role (viewer, operator, admin).</summary>
    public async Task<HttpClient> AsRoleAsync(string role)
    {
        var response = await Admin().PostAsJsonAsync("/admin/api-keys", new { name = role + "-" + Guid.NewGuid().ToString("N")[..6], role }, Json);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return WithKey(body.GetProperty("key").GetString()!);
    }

    private sealed class ClientAddressFilter(ApiFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((ctx, n) => { ctx.Connection.RemoteIpAddress ??= factory.ClientAddress; return n(ctx); });
            next(app);
        };
    }
}
