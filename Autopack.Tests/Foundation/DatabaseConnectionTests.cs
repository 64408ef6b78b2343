using Autopack.Core.Configuration;
using Npgsql;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Unit")]
public class DatabaseConnectionTests
{
    private const string Root = "/srv/autopack-state";

    [Fact]
    public void Postgres_url_is_parsed_into_npgsql_settings()
    {
        var c = DatabaseConnection.Parse("postgresql://alice:p%40ss%3Aword@DB.example:6543/autopack?sslmode=require", Root);
        Assert.Equal(DatabaseProvider.Postgres, c.Provider);
        var b = new NpgsqlConnectionStringBuilder(c.ConnectionString);
        Assert.Equal("db.example", b.Host); // host names are case-insensitive; Uri lowercases them
        Assert.Equal(6543, b.Port);
        Assert.Equal("autopack", b.Database);
        Assert.Equal("alice", b.Username);
        Assert.Equal("p@ss:word", b.Password);
        Assert.Equal(SslMode.Require, b.SslMode);
    }

    [Fact]
    public void Pooled_connections_skip_the_session_reset_unless_the_connection_string_asks_for_it()
    {
        static bool NoReset(DatabaseConnection c) => new NpgsqlConnectionStringBuilder(c.ConnectionString).NoResetOnClose;
        Assert.True(NoReset(DatabaseConnection.Parse("postgresql://u:p@db/autopack", Root)));
        Assert.True(NoReset(DatabaseConnection.Resolve("Host=db;Database=autopack", null, Root)));
        Assert.False(NoReset(DatabaseConnection.Parse("postgresql://u:p@db/autopack?No%20Reset%20On%20Close=false", Root)));
        Assert.False(NoReset(DatabaseConnection.Resolve("Host=db;Database=autopack;No Reset On Close=false", null, Root)));
    }

    [Fact]
    public void Postgres_scheme_alias_and_default_port()
    {
        var c = DatabaseConnection.Parse("postgres://u:p@db/autopack", Root);
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(c.ConnectionString).Port);
        Assert.Equal("postgresql://***@db:5432/autopack", c.MaskedUrl);
    }

    [Fact]
    public void Masked_url_never_contains_credentials()
    {
        var c = DatabaseConnection.Parse("postgresql://admin:topsecret@db:5432/autopack", Root);
        Assert.DoesNotContain("topsecret", c.MaskedUrl);
        Assert.DoesNotContain("admin", c.MaskedUrl);
        Assert.Equal("postgresql://***@db:5432/autopack", c.MaskedUrl);
        Assert.Equal("postgresql://***@h:1/d", DatabaseConnection.MaskCredentials("postgresql://a:b@h:1/d"));
        Assert.Equal("sqlite:///x.db", DatabaseConnection.MaskCredentials("sqlite:///x.db"));
    }

    [Fact]
    public void Identity_is_first_12_hex_of_sha256_of_the_masked_url()
    {
        var c = DatabaseConnection.Parse("postgresql://admin:topsecret@db:5432/autopack", Root);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("postgresql://***@db:5432/autopack"u8.ToArray()))[..12];
        Assert.Equal(expected, c.Identity);
        Assert.Matches("^[0-9a-f]{12}$", c.Identity);
    }

    [Fact]
    public void Identity_ignores_credentials_but_not_host_port_or_database()
    {
        var a = DatabaseConnection.Parse("postgresql://u1:p1@db:5432/autopack", Root).Identity;
        Assert.Equal(a, DatabaseConnection.Parse("postgresql://u2:p2@db:5432/autopack", Root).Identity);
        Assert.NotEqual(a, DatabaseConnection.Parse("postgresql://u1:p1@db2:5432/autopack", Root).Identity);
        Assert.NotEqual(a, DatabaseConnection.Parse("postgresql://u1:p1@db:5433/autopack", Root).Identity);
        Assert.NotEqual(a, DatabaseConnection.Parse("postgresql://u1:p1@db:5432/other", Root).Identity);
    }

    [Fact]
    public void Aspire_keyword_connection_string_has_the_same_identity_as_the_equivalent_url()
    {
        var aspire = DatabaseConnection.Resolve("Host=db;Port=5432;Username=postgres;Password=x;Database=autopack", "sqlite:///ignored.db", Root);
        var url = DatabaseConnection.Parse("postgresql://other:y@db:5432/autopack", Root);
        Assert.Equal(DatabaseProvider.Postgres, aspire.Provider);
        Assert.Equal(url.Identity, aspire.Identity);
    }

    [Fact]
    public void Aspire_connection_string_wins_over_database_url()
    {
        var c = DatabaseConnection.Resolve("postgresql://u:p@aspire-db:5432/autopack", "postgresql://u:p@other:5432/autopack", Root);
        Assert.Contains("aspire-db", c.MaskedUrl);
    }

    [Fact]
    public void Nothing_set_means_the_embedded_sqlite_file_under_the_state_root()
    {
        var c = DatabaseConnection.Resolve(null, null, Root);
        Assert.Equal(DatabaseProvider.Sqlite, c.Provider);
        Assert.Equal("sqlite:///srv/autopack-state/autopack.db", c.MaskedUrl);
        Assert.Contains("Data Source=/srv/autopack-state/autopack.db", c.ConnectionString);
    }

    [Fact]
    public void Relative_sqlite_paths_resolve_against_the_state_root_so_services_share_the_file()
    {
        var fromApi = DatabaseConnection.Parse("sqlite:///data/ap.db", Root);
        Assert.Equal("sqlite:///srv/autopack-state/data/ap.db", fromApi.MaskedUrl);
        var abs = DatabaseConnection.Parse("sqlite:////var/lib/ap.db", Root);
        Assert.Equal("sqlite:///var/lib/ap.db", abs.MaskedUrl);
    }

    [Theory]
    [InlineData("mysql://u:p@h/db")]
    [InlineData("sqlite://relative.db")]
    [InlineData("postgresql://u:p@h:5432/")]
    [InlineData("just-a-string")]
    public void Bad_urls_are_refused_with_a_clear_message(string url)
    {
        var ex = Assert.Throws<FormatException>(() => DatabaseConnection.Parse(url, Root));
        Assert.DoesNotContain(":p@", ex.Message);
    }

    [Fact]
    public void State_root_comes_from_the_variable_then_the_repo()
    {
        Assert.Equal("/x/y", StatePaths.Root(k => k == StatePaths.Variable ? "/x/y" : null));
        var repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory);
        Assert.NotNull(repo);
        Assert.True(File.Exists(Path.Combine(repo!, "Autopack.sln")));
    }
}
