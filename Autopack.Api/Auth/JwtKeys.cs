using System.Security.Cryptography;
using Autopack.Core.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Autopack.Api.Auth;

/// <summary>
/// The RS256 key pair that signs dashboard tokens: from JWT_PRIVATE_KEY/JWT_PUBLIC_KEY (PEM), or generated
/// per process in development (tokens then die with the process; production refuses to start without keys).
/// </summary>
public sealed class JwtKeys
{
    public RsaSecurityKey SigningKey { get; }
    public RsaSecurityKey ValidationKey { get; }
    public bool Ephemeral { get; }
    public string KeyId { get; }

    public JwtKeys(AutopackSettings settings, ILogger<JwtKeys> logger)
    {
        var privatePem = settings.Secret(SecretNames.JwtPrivateKey);
        var publicPem = settings.Secret(SecretNames.JwtPublicKey);
        var signer = RSA.Create();
        var validator = RSA.Create();
        if (privatePem is not null && publicPem is not null)
        {
            try
            {
                signer.ImportFromPem(privatePem);
                validator.ImportFromPem(publicPem);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                throw new InvalidOperationException("JWT_PRIVATE_KEY / JWT_PUBLIC_KEY are not valid RSA PEM keys: " + ex.Message, ex);
            }
            if (!signer.ExportParameters(false).Modulus!.SequenceEqual(validator.ExportParameters(false).Modulus!))
                throw new InvalidOperationException("JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY.");
        }
        else
        {
            signer = RSA.Create(2048);
            validator.ImportParameters(signer.ExportParameters(false));
            Ephemeral = true;
            logger.LogWarning("JWT keys are ephemeral (JWT_PRIVATE_KEY/JWT_PUBLIC_KEY not set): sign-in tokens end with this process. Development only.");
        }
        var p = validator.ExportParameters(false);
        KeyId = Base64UrlEncoder.Encode(SHA256.HashData([.. p.Modulus!, .. p.Exponent!]))[..16];
        SigningKey = new RsaSecurityKey(signer) { KeyId = KeyId };
        ValidationKey = new RsaSecurityKey(validator) { KeyId = KeyId };
    }

    public JsonWebKeySet Jwks()
    {
        var p = ValidationKey.Rsa.ExportParameters(false);
        return new JsonWebKeySet([new PublicJsonWebKey("RSA", KeyId, "sig", "RS256", Base64UrlEncoder.Encode(p.Modulus), Base64UrlEncoder.Encode(p.Exponent))]);
    }
}

/// <summary>The JWKS document (RFC 7517): the public key that verifies dashboard tokens.</summary>
public sealed record JsonWebKeySet(IReadOnlyList<PublicJsonWebKey> Keys);

/// <summary>One RSA public key; member names are RFC 7517's (single lowercase words, so snake_case leaves them as they are).</summary>
public sealed record PublicJsonWebKey(string Kty, string Kid, string Use, string Alg, string N, string E);
