using System.Security.Claims;
using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

public sealed record LoginRequest(string? Username, string? Password);

/// <summary>The auth routes keep their /api prefix in the backend (the front door passes /api/auth/* through unchanged).</summary>
public static class AuthApi
{
    public const string LoginRateLimitPolicy = "login";

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", Login).AllowAnonymous().RequireRateLimiting(LoginRateLimitPolicy);
        auth.MapGet("/me", Me);
        auth.MapGet("/.well-known/jwks.json", (JwtKeys keys) => Results.Ok(keys.Jwks())).AllowAnonymous();
        return auth;
    }

    private static async Task<IResult> Login(LoginRequest? request, AutopackDbContext db, IPasswordHasher<User> hasher, TokenIssuer issuer, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Username) || string.IsNullOrEmpty(request.Password))
            return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["credentials"] = ["username and password are required"] });
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Username == request.Username, ct);
        // Same answer for an unknown user and a wrong password.
        if (user is null || user.Disabled || hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
            return ApiProblem.Create(401, ProblemCodes.InvalidCredentials, "Wrong username or password.");
        return Results.Ok(new
        {
            access_token = issuer.Issue(user),
            token_type = "Bearer",
            expires_in = (int)TokenIssuer.Lifetime.TotalSeconds,
            user = new { username = user.Username, role = EnumNames.ToWire(user.Role).ToLowerInvariant() },
        });
    }

    private static IResult Me(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true
        ? Results.Ok(new
        {
            username = user.Identity.Name,
            role = AuthPolicies.RoleOf(user) is { } r ? EnumNames.ToWire(r).ToLowerInvariant() : null,
            auth = user.FindFirstValue("auth"),
        })
        : ApiProblem.Create(401, ProblemCodes.Unauthorized, "Sign in or send an API key.");
}
