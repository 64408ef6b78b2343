using System.Security.Claims;
using System.Text.Encodings.Web;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Auth;

/// <summary><c>X-API-Key</c>: looked up by hash among keys that are not revoked (through <see cref="ApiKeyCache"/>).</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IAutopackDbFactory dbFactory, ApiKeyCache cache) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-API-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
            return AuthenticateResult.NoResult();
        // Anonymous endpoints (health probes, login) must keep answering when the key store is unreachable.
        if (Context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
            return AuthenticateResult.NoResult();
        var hash = ApiKeyHasher.Hash(values.ToString().Trim());
        var key = cache.Get(hash);
        if (key is null)
        {
            await using var db = dbFactory.Create();
            key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, Context.RequestAborted);
            if (key is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
            cache.Put(hash, key);
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, "api-key:" + key.Name),
            new Claim(AuthPolicies.RoleClaim, EnumNames.ToWire(key.Role)),
            new Claim("auth", "api_key"),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
