using System.Security.Claims;
using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

public sealed record LoginRequest(string? Username, string? Password);

public sealed record SignedInUser(string Username, string Role);

public sealed record LoginResponse(string AccessToken, string TokenType, int ExpiresIn, SignedInUser User);

/// <summary>Who the caller is: <c>auth</c> says how they signed in (<c>api_key</c> or <c>jwt</c>).</summary>
public sealed record MeResponse(string? Username, string? Role, string? Auth);

/// <summary>The auth routes keep their /api prefix in the backend (the front door passes /api/auth/* through unchanged).</summary>
public static class AuthApi
{
    public const string LoginRateLimitPolicy = "login";

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", Login).AllowAnonymous().RequireRateLimiting(LoginRateLimitPolicy)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapGet("/me", Me).ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapGet("/.well-known/jwks.json", (JwtKeys keys) => TypedResults.Ok(keys.Jwks())).AllowAnonymous();
        return auth;
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Login(LoginRequest? request, AutopackDbContext db, IPasswordHasher<User> hasher, TokenIssuer issuer, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Username) || string.IsNullOrEmpty(request.Password))
            return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["credentials"] = ["username and password are required"] });
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Username == request.Username, ct);
        // Same answer for an unknown user and a wrong password.
        if (user is null || user.Disabled || hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
            return ApiProblem.Create(401, ProblemCodes.InvalidCredentials, "Wrong username or password.");
        return TypedResults.Ok(new LoginResponse(issuer.Issue(user), "Bearer", (int)TokenIssuer.Lifetime.TotalSeconds,
            new SignedInUser(user.Username, EnumNames.ToWire(user.Role).ToLowerInvariant())));
    }

    private static Results<Ok<MeResponse>, ProblemHttpResult> Me(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true
        ? TypedResults.Ok(new MeResponse(user.Identity.Name,
            AuthPolicies.RoleOf(user) is { } r ? EnumNames.ToWire(r).ToLowerInvariant() : null, user.FindFirstValue("auth")))
        : ApiProblem.Create(401, ProblemCodes.Unauthorized, "Sign in or send an API key.");
}
