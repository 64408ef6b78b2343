using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Core.Configuration;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Deploy;

/// <summary>
/// deploy/create-secrets.sh, the first step of deploy/README.md: the files it makes pass the production checks and
/// run the real API in production from files only (API key, JWT pair), and running it again changes nothing.
/// </summary>
[Trait("Category", "Process")]
public sealed class SecretFilesTests : IAsyncLifetime
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
    private static readonly string[] Files = ["postgres_password", "qdrant_api_key", "database_url", "autopack_api_key", "jwt_private_key", "jwt_public_key"];
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _dir = Path.Combine(Directory.CreateTempSubdirectory("autopack-secrets-").FullName, "secrets");
        var (code, output) = await CreateSecretsAsync();
        Assert.True(code == 0, output);
    }

    private async Task<(int Code, string Output)> CreateSecretsAsync()
    {
        var psi = new ProcessStartInfo("sh", [Path.Combine(Repo, "deploy", "create-secrets.sh"), _dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    private string Read(string name) => File.ReadAllText(Path.Combine(_dir, name)).Trim();

    [Fact]
    public async Task The_files_are_private_pass_the_production_checks_and_are_kept_when_run_again()
    {
        foreach (var file in Files)
        {
            var path = Path.Combine(_dir, file);
            Assert.True(File.Exists(path) && Read(file).Length > 0, $"{file} was not created");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.Equal($"postgresql://autopack:{Read("postgres_password")}@postgres:5432/autopack", Read("database_url"));
        var secrets = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Read("database_url"), ["AUTOPACK_API_KEY"] = Read("autopack_api_key"),
            ["JWT_PRIVATE_KEY"] = Read("jwt_private_key"), ["JWT_PUBLIC_KEY"] = Read("jwt_public_key"),
        };
        Assert.Empty(ProductionReadiness.Check(secrets, k => k == "AUTOPACK_ENV" ? "production" : null));

        // PostgreSQL keeps the password its volume was made with: a second run must not change a single file.
        var before = Files.ToDictionary(f => f, Read);
        var (code, output) = await CreateSecretsAsync();
        Assert.True(code == 0, output);
        Assert.Contains("nothing new", output);
        Assert.All(Files, f => Assert.Equal(before[f], Read(f)));
    }

    [Fact]
    public async Task The_api_runs_in_production_from_the_files_and_signs_dashboard_tokens_with_the_key_pair()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        // The database URL points at the Compose host name; here the test server's URL takes its place, still as a file.
        var databaseUrl = Path.Combine(_dir, "..", "database_url_here");
        await File.WriteAllTextAsync(databaseUrl, db.Url);
        await using var api = new ApiFactory(db, new Dictionary<string, string?>
        {
            ["AUTOPACK_ENV"] = "production",
            ["DATABASE_URL_FILE"] = databaseUrl,
            ["AUTOPACK_API_KEY_FILE"] = Path.Combine(_dir, "autopack_api_key"),
            ["JWT_PRIVATE_KEY_FILE"] = Path.Combine(_dir, "jwt_private_key"),
            ["JWT_PUBLIC_KEY_FILE"] = Path.Combine(_dir, "jwt_public_key"),
        });
        var admin = api.WithKey(Read("autopack_api_key"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.WithKey(ApiFactory.AdminKey).GetAsync("/admin/users")).StatusCode);
        // The first dashboard user, as deploy/README.md creates it.
        var created = await admin.PostAsJsonAsync("/admin/users", new { username = "operator1", password = "a-long-operator-password", role = "admin" }, ApiFactory.Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var login = await api.Anonymous().PostAsJsonAsync("/api/auth/login", new { username = "operator1", password = "a-long-operator-password" }, ApiFactory.Json);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        var me = await api.WithToken(token).GetAsync("/api/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);
        return Task.CompletedTask;
    }
}
