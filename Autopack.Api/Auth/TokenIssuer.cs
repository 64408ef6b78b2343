using System.Security.Claims;
using Autopack.Core.Domain;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Autopack.Api.Auth;

/// <summary>Issues the dashboard's RS256 access tokens.</summary>
public sealed class TokenIssuer(JwtKeys keys, TimeProvider time)
{
    public const string Issuer = "autopack";
    public const string Audience = "autopack";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    public string Issue(User user)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", user.Username),
                new Claim(ClaimTypes.Name, user.Username),
                new Claim(AuthPolicies.RoleClaim, EnumNames.ToWire(user.Role)),
                new Claim("auth", "jwt"),
            ]),
            SigningCredentials = new SigningCredentials(keys.SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = keys.ValidationKey,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        NameClaimType = ClaimTypes.Name,
        RoleClaimType = AuthPolicies.RoleClaim,
        ClockSkew = TimeSpan.FromSeconds(30),
    };
}
