using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Autopack.Tests.Api;

[Trait("Category", "Db")]
public class AuthApiTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    [Fact]
    public async Task Login_issues_an_rs256_token_that_the_jwks_verifies_and_me_describes()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var anon = api.Anonymous();
        var login = await anon.PostAsJsonAsync("/api/auth/login", new { username = ApiFactory.AdminUser, password = ApiFactory.AdminPassword }, Json);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());

        var jwks = await anon.GetFromJsonAsync<JsonElement>("/api/auth/.well-known/jwks.json");
        var key = new JsonWebKey(jwks.GetProperty("keys")[0].GetRawText());
        Assert.Equal("RS256", key.Alg);
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = key, ValidIssuer = "autopack", ValidAudience = "autopack", ValidAlgorithms = ["RS256"],
        });
        Assert.True(validated.IsValid, validated.Exception?.Message);

        var me = await api.WithToken(token).GetFromJsonAsync<JsonElement>("/api/auth/me");
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.Equal("jwt", me.GetProperty("auth").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.WithToken(token).GetAsync("/runs")).StatusCode);
    }

    [Fact]
    public async Task Wrong_password_unknown_user_and_a_forged_token_are_401()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var anon = api.Anonymous();
        foreach (var creds in new[] { new { username = "admin", password = "wrong-password!" }, new { username = "ghost", password = "whatever-pass" } })
        {
            var r = await anon.PostAsJsonAsync("/api/auth/login", creds, Json);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("invalid_credentials", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "autopack", Audience = "autopack", Claims = new Dictionary<string, object> { ["role"] = "ADMIN", ["sub"] = "mallory" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)), "RS256"),
        });
        var withForged = await api.WithToken(forged).GetAsync("/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, withForged.StatusCode);
        Assert.Equal("unauthorized", (await withForged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.WithKey("ak_not-a-real-key").GetAsync("/runs")).StatusCode);
    }

    [Fact]
    public async Task Roles_gate_writes_and_admin_routes_with_403()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var viewer = await api.AsRoleAsync("viewer");
        var op = await api.AsRoleAsync("operator");

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/runs")).StatusCode);
        var denied = await viewer.PostAsJsonAsync("/runs", RunPlans.Simple(), Json);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("forbidden", (await denied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Created, (await op.PostAsJsonAsync("/runs", RunPlans.Simple(), Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PutAsJsonAsync("/kill-switches/disable_all", new { enabled = true }, Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("/admin/api-keys")).StatusCode);
    }

    [Fact]
    public async Task Api_keys_are_stored_hashed_and_revocation_takes_effect()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var created = await api.Admin().PostAsJsonAsync("/admin/api-keys", new { name = "ci", role = "operator" }, Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetInt64();
        await using (var ctx = db.CreateContext())
        {
            Assert.DoesNotContain(ctx.ApiKeys.ToList(), k => k.Hash.Contains(key) || k.Prefix == key);
        }
        Assert.Equal(HttpStatusCode.OK, (await api.WithKey(key).GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.Admin().DeleteAsync($"/admin/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.WithKey(key).GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Admin().DeleteAsync("/admin/api-keys/999999")).StatusCode);
    }

    [Fact]
    public async Task A_key_revoked_on_one_replica_stops_working_on_another_within_the_cache_age()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var a = new ApiFactory(db);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow); // b's clock: its cache ages only when the test says so
        await using var b = new ApiFactory(db) { Clock = clock };
        var created = await (await a.Admin().PostAsJsonAsync("/admin/api-keys", new { name = "ci", role = "viewer" }, Json)).Content.ReadFromJsonAsync<JsonElement>();
        var key = created.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await b.WithKey(key).GetAsync("/runs")).StatusCode); // b now holds it in its cache
        Assert.Equal(HttpStatusCode.NoContent, (await a.Admin().DeleteAsync($"/admin/api-keys/{created.GetProperty("id").GetInt64()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await a.WithKey(key).GetAsync("/runs")).StatusCode);

        clock.Advance(Autopack.Api.Auth.ApiKeyCache.MaxAge - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.OK, (await b.WithKey(key).GetAsync("/runs")).StatusCode); // still within the cache age
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await b.WithKey(key).GetAsync("/runs")).StatusCode); // at the cache age: read again, revoked
    }

    [Fact]
    public async Task Admin_creates_users_who_can_sign_in_with_their_role()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        Assert.Equal(HttpStatusCode.Created, (await api.Admin().PostAsJsonAsync("/admin/users", new { username = "olga", password = "operator-pass-1", role = "operator" }, Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.Admin().PostAsJsonAsync("/admin/users", new { username = "olga", password = "operator-pass-1", role = "operator" }, Json)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.Admin().PostAsJsonAsync("/admin/users", new { username = "x", password = "short" }, Json)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.Admin().PostAsJsonAsync("/admin/users", new { username = "y", password = "long-enough-pass", role = "god" }, Json)).StatusCode);
        var login = await api.Anonymous().PostAsJsonAsync("/api/auth/login", new { username = "olga", password = "operator-pass-1" }, Json);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        Assert.Equal("operator", (await api.WithToken(token).GetFromJsonAsync<JsonElement>("/api/auth/me")).GetProperty("role").GetString());
        var users = await api.Admin().GetFromJsonAsync<JsonElement>("/admin/users");
        Assert.Equal(2, users.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Public_read_opens_reads_but_not_writes_outside_production()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_PUBLIC_READ"] = "1" });
        Assert.Equal(HttpStatusCode.OK, (await api.Anonymous().GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Anonymous().PostAsJsonAsync("/runs", RunPlans.Simple(), Json)).StatusCode);
    }

    [Fact]
    public async Task Health_version_openapi_and_probes_answer_without_credentials()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var anon = api.Anonymous();
        var health = await anon.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("autopack", health.GetProperty("service").GetString());
        Assert.Equal("supervisor_api", health.GetProperty("component").GetString());
        Assert.Equal(db.Connection.Identity, health.GetProperty("database_identity").GetString());
        Assert.Equal("connected", health.GetProperty("database").GetString());
        Assert.Equal("embedded", health.GetProperty("qdrant").GetString());
        Assert.False(health.GetProperty("kill_switches").GetProperty("disable_all").GetBoolean());
        foreach (var path in new[] { "/alive", "/api/health/ready", "/api/health/startup", "/api/version", "/openapi/v1.json" })
            Assert.True((await anon.GetAsync(path)).IsSuccessStatusCode, path);
        var openapi = await anon.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/runs", out _));
        var version = await anon.GetFromJsonAsync<JsonElement>("/api/version");
        Assert.False(string.IsNullOrEmpty(version.GetProperty("build_time").GetString()));
    }
}
