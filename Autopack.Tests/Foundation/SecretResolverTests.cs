using Autopack.Core.Configuration;

namespace Autopack.Tests.Foundation;

[Trait("Category", "Unit")]
public sealed class SecretResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("autopack-secrets-").FullName;

    private static SecretResolver With(Dictionary<string, string> env) => new(k => env.GetValueOrDefault(k));

    private string WriteFile(string content)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [MemberData(nameof(AllSecrets))]
    public void File_beats_variable_beats_default_for_every_secret(string name)
    {
        var file = WriteFile("from-file\n");
        Assert.Equal("from-file", With(new() { [name + "_FILE"] = file, [name] = "from-env" }).Resolve(name, "default"));
        Assert.Equal("from-env", With(new() { [name] = "from-env" }).Resolve(name, "default"));
        Assert.Equal("default", With(new()).Resolve(name, "default"));
        Assert.Null(With(new()).Resolve(name));
    }

    public static TheoryData<string> AllSecrets()
    {
        var data = new TheoryData<string>();
        foreach (var name in new[] { "DATABASE_URL", "AUTOPACK_API_KEY", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY", "TELEGRAM_BOT_TOKEN",
                     "TELEGRAM_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "AUTOPACK_ADMIN_PASSWORD" })
        {
            Assert.Contains(name, SecretNames.All);
            data.Add(name);
        }
        return data;
    }

    [Fact]
    public void An_empty_file_is_an_error_naming_the_variable()
    {
        var file = WriteFile("  \n");
        var ex = Assert.Throws<SecretFileException>(() => With(new() { ["AUTOPACK_API_KEY_FILE"] = file, ["AUTOPACK_API_KEY"] = "x" }).Resolve("AUTOPACK_API_KEY"));
        Assert.Equal("AUTOPACK_API_KEY", ex.Variable);
        Assert.Contains("AUTOPACK_API_KEY_FILE", ex.Message);
        Assert.Contains("empty", ex.Message);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_the_variable_not_a_fallback()
    {
        var ex = Assert.Throws<SecretFileException>(() =>
            With(new() { ["JWT_PRIVATE_KEY_FILE"] = Path.Combine(_dir, "nope.pem"), ["JWT_PRIVATE_KEY"] = "fallback" }).Resolve("JWT_PRIVATE_KEY"));
        Assert.Contains("JWT_PRIVATE_KEY_FILE", ex.Message);
        Assert.Contains("nope.pem", ex.Message);
    }

    [Fact]
    public void An_unreadable_path_is_an_error()
    {
        // A directory cannot be read as a file, even by root.
        var ex = Assert.Throws<SecretFileException>(() => With(new() { ["OPENAI_API_KEY_FILE"] = _dir }).Resolve("OPENAI_API_KEY"));
        Assert.Equal("OPENAI_API_KEY", ex.Variable);
    }

    [Fact]
    public void Gemini_key_is_accepted_as_a_deprecated_alias_with_a_warning()
    {
        var (values, warnings) = With(new() { ["GEMINI_API_KEY"] = "g-key" }).ResolveAll();
        Assert.Equal("g-key", values["GOOGLE_API_KEY"]);
        Assert.False(values.ContainsKey("GEMINI_API_KEY"));
        Assert.Contains(warnings, w => w.Contains("GEMINI_API_KEY is deprecated"));
    }

    [Fact]
    public void Google_key_wins_over_the_gemini_alias()
    {
        var (values, warnings) = With(new() { ["GEMINI_API_KEY"] = "old", ["GOOGLE_API_KEY"] = "new" }).ResolveAll();
        Assert.Equal("new", values["GOOGLE_API_KEY"]);
        Assert.Single(warnings);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
