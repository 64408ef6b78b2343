using System.Security.Cryptography;
using System.Text;

namespace Autopack.Api.Auth;

/// <summary>API keys are random, shown once, and stored only as SHA-256 (they have full entropy, so no slow hash is needed).</summary>
public static class ApiKeyHasher
{
    public const string KeyPrefix = "ak_";

    public static string NewKey() => KeyPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string Prefix(string key) => key.Length <= 8 ? key : key[..8];
}
