using System.Security.Cryptography;
using System.Text.Json;

namespace Autopack.AppHost.Hosting;

/// <summary>Development sign-in and API key, generated on the first local run and kept in the state folder.</summary>
public sealed record DevCredentials(string ApiKey, string AdminUser, string AdminPassword)
{
    public static DevCredentials LoadOrCreate(string stateDir)
    {
        var file = Path.Combine(stateDir, "dev-credentials.json");
        if (File.Exists(file)) return JsonSerializer.Deserialize<DevCredentials>(File.ReadAllText(file))!;
        var created = new DevCredentials("dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)), "admin",
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9)));
        Directory.CreateDirectory(stateDir);
        File.WriteAllText(file, JsonSerializer.Serialize(created));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return created;
    }
}
