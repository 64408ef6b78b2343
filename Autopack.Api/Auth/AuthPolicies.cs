using System.Security.Claims;
using Autopack.Api.Extensions;
using Autopack.Core.Configuration;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Auth;

/// <summary>Policies "viewer", "operator", "admin": a higher role includes the lower ones.</summary>
public static class AuthPolicies
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";
    public const string RoleClaim = "role";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Viewer, p => p.AddRequirements(new MinimumRoleRequirement(Role.Viewer)));
        options.AddPolicy(Operator, p => p.AddRequirements(new MinimumRoleRequirement(Role.Operator)));
        options.AddPolicy(Admin, p => p.AddRequirements(new MinimumRoleRequirement(Role.Admin)));
        // Everything not marked otherwise needs at least a viewer.
        options.FallbackPolicy = options.GetPolicy(Viewer);
    }

    public static Role? RoleOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && EnumNames.TryParse<Role>(user.FindFirstValue(RoleClaim), out var role) ? role : null;
}

public sealed record MinimumRoleRequirement(Role Minimum) : IAuthorizationRequirement;

/// <summary>
/// Grants by role order. AUTOPACK_PUBLIC_READ=1 lets anonymous callers through viewer-level checks,
/// outside production only (production refuses to start with it anyway).
/// </summary>
public sealed class MinimumRoleHandler(AutopackSettings settings, IOptions<ApiOptions> options) : AuthorizationHandler<MinimumRoleRequirement>
{
    private readonly bool _publicRead = !settings.IsProduction && options.Value.PublicReadRequested;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MinimumRoleRequirement requirement)
    {
        var role = AuthPolicies.RoleOf(context.User);
        if (role >= requirement.Minimum || (_publicRead && requirement.Minimum == Role.Viewer && role is null))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
