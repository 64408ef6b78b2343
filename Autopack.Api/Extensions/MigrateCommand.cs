using Autopack.Core.Configuration;
using Autopack.Core.Data;

namespace Autopack.Api.Extensions;

/// <summary><c>dotnet Autopack.Api.dll migrate</c>: the production way to create or upgrade the schema.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        AutopackSettings settings;
        try { settings = AutopackSettings.Load(configuration, "migrate", "migrate"); }
        catch (Exception ex) when (ex is ProductionConfigurationException or SecretFileException or FormatException)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
        if (settings.Database.Provider == DatabaseProvider.Sqlite)
            Directory.CreateDirectory(Path.GetDirectoryName(settings.Database.MaskedUrl["sqlite://".Length..])!);
        Console.WriteLine($"Migrating {settings.Database.MaskedUrl} (identity {settings.Database.Identity})");
        await using var db = AutopackDataRegistration.CreateContext(settings.Database);
        var applied = await SchemaGuard.MigrateAsync(db);
        Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
        return 0;
    }
}
