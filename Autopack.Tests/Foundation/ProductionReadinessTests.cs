using Autopack.Core.Configuration;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Unit")]
public class ProductionReadinessTests
{
    private const string StrongKey = "0123456789abcdef0123456789abcdef0123";

    private static Dictionary<string, string> Good() => new()
    {
        ["DATABASE_URL"] = "postgresql://u:p@db:5432/autopack",
        ["AUTOPACK_API_KEY"] = StrongKey,
        ["JWT_PRIVATE_KEY"] = "-----BEGIN PRIVATE KEY-----",
        ["JWT_PUBLIC_KEY"] = "-----BEGIN PUBLIC KEY-----",
    };

    private static IReadOnlyList<string> Check(Dictionary<string, string> secrets, Dictionary<string, string>? env = null) =>
        ProductionReadiness.Check(secrets, k => env?.GetValueOrDefault(k));

    [Fact]
    public void A_complete_configuration_passes() => Assert.Empty(Check(Good()));

    [Fact]
    public void Missing_database_url_is_refused()
    {
        var s = Good(); s.Remove("DATABASE_URL");
        Assert.Contains(Check(s), p => p.Contains("DATABASE_URL"));
    }

    [Fact]
    public void Aspire_connection_string_counts_as_a_database()
    {
        var s = Good(); s.Remove("DATABASE_URL");
        Assert.Empty(Check(s, new() { ["ConnectionStrings__autopack"] = "Host=db;Database=autopack;Username=u;Password=p" }));
    }

    [Fact]
    public void Sqlite_is_refused()
    {
        var s = Good(); s["DATABASE_URL"] = "sqlite:///autopack.db";
        Assert.Contains(Check(s), p => p.Contains("SQLite"));
    }

    [Fact]
    public void Missing_api_key_is_refused()
    {
        var s = Good(); s.Remove("AUTOPACK_API_KEY");
        Assert.Contains(Check(s), p => p.Contains("AUTOPACK_API_KEY"));
    }

    [Fact]
    public void Short_api_key_is_refused_at_31_and_accepted_at_32()
    {
        var s = Good(); s["AUTOPACK_API_KEY"] = new string('k', 31);
        Assert.Contains(Check(s), p => p.Contains("at least 32"));
        s["AUTOPACK_API_KEY"] = new string('k', 32);
        Assert.Empty(Check(s));
    }

    [Theory]
    [InlineData("JWT_PRIVATE_KEY")]
    [InlineData("JWT_PUBLIC_KEY")]
    public void Missing_jwt_key_is_refused_no_ephemeral_keys(string missing)
    {
        var s = Good(); s.Remove(missing);
        Assert.Contains(Check(s), p => p.Contains("ephemeral"));
    }

    [Fact]
    public void Telegram_without_webhook_secret_is_refused()
    {
        var s = Good(); s["TELEGRAM_BOT_TOKEN"] = "123:abc";
        Assert.Contains(Check(s), p => p.Contains("TELEGRAM_WEBHOOK_SECRET"));
        s["TELEGRAM_WEBHOOK_SECRET"] = "s3cret";
        Assert.Empty(Check(s));
    }

    [Fact]
    public void Public_read_is_refused_in_production()
    {
        Assert.Contains(Check(Good(), new() { ["AUTOPACK_PUBLIC_READ"] = "1" }), p => p.Contains("AUTOPACK_PUBLIC_READ"));
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var problems = Check(new Dictionary<string, string> { ["TELEGRAM_BOT_TOKEN"] = "t" });
        Assert.Equal(4, problems.Count); // database, api key, jwt keys, telegram secret
        var ex = new ProductionConfigurationException(problems);
        foreach (var p in problems) Assert.Contains(p, ex.Message);
    }

    [Fact]
    public void Only_autopack_env_production_turns_the_rules_on()
    {
        Assert.True(ProductionReadiness.IsProduction(k => k == "AUTOPACK_ENV" ? "Production" : null));
        Assert.False(ProductionReadiness.IsProduction(k => k == "AUTOPACK_ENV" ? "development" : null));
        Assert.False(ProductionReadiness.IsProduction(_ => null));
    }
}
