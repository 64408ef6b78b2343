using Autopack.Api.Auth;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Autopack.Api.Extensions;

public static class AuthExtensions
{
    /// <summary>API keys and dashboard bearer tokens on one scheme, the role policies, and the first admin's bootstrap.</summary>
    public static IServiceCollection AddAutopackAuth(this IServiceCollection services)
    {
        services.AddSingleton<JwtKeys>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<IAuthorizationHandler, MinimumRoleHandler>();
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = "autopack";
                o.DefaultChallengeScheme = "autopack";
            })
            // One scheme that picks API key or bearer token by header, so either works on every route.
            .AddPolicyScheme("autopack", "API key or bearer token", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.Header) ? ApiKeyAuthenticationHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((o, issuer) =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = issuer.ValidationParameters();
            });
        services.AddAuthorization(AuthPolicies.Add);
        services.AddHostedService<AuthBootstrap>();
        return services;
    }
}
