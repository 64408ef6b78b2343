using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

public sealed record CreateUserRequest(string? Username, string? Password, string? Role);

public sealed record CreateApiKeyRequest(string? Name, string? Role);

/// <summary>Users, API keys and live-stream statistics; admins only.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AuthPolicies.Admin);
        admin.MapPost("/users", CreateUser);
        admin.MapGet("/users", async (AutopackDbContext db, CancellationToken ct) => Results.Ok(new
        {
            items = (await db.Users.AsNoTracking().OrderBy(u => u.Username).ToListAsync(ct))
                .Select(u => new { username = u.Username, role = Wire(u.Role), disabled = u.Disabled, created_at = u.CreatedAt }),
        }));
        admin.MapPost("/api-keys", CreateApiKey);
        admin.MapGet("/api-keys", async (AutopackDbContext db, CancellationToken ct) => Results.Ok(new
        {
            items = (await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(ct))
                .Select(k => new { id = k.Id, name = k.Name, prefix = k.Prefix, role = Wire(k.Role), created_at = k.CreatedAt, revoked_at = k.RevokedAt }),
        }));
        admin.MapDelete("/api-keys/{id:long}", RevokeApiKey);
        admin.MapGet("/sse/stats", (SseConnections connections) => Results.Ok(connections.Stats()));
        return admin;
    }

    private static string Wire(Role role) => EnumNames.ToWire(role).ToLowerInvariant();

    private static async Task<IResult> CreateUser(CreateUserRequest? request, AutopackDbContext db, IPasswordHasher<User> hasher, TimeProvider time,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.Username) || request.Username.Length > 100) errors["username"] = ["is required, at most 100 characters"];
        if (request?.Password is null || request.Password.Length < 12) errors["password"] = ["is required, at least 12 characters"];
        if (errors.Count > 0) return ApiProblem.Validation(400, errors);
        if (!EnumNames.TryParse<Role>(request!.Role ?? "viewer", out var role))
            return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["role"] = ["must be viewer, operator or admin"] });
        if (await db.Users.AnyAsync(u => u.Username == request.Username, ct)) return ApiProblem.Conflict(ProblemCodes.UserExists, $"User '{request.Username}' exists.");
        var user = new User { Username = request.Username!, PasswordHash = "", Role = role, CreatedAt = time.GetUtcNow().UtcDateTime };
        user.PasswordHash = hasher.HashPassword(user, request.Password!);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/admin/users/{user.Username}", new { username = user.Username, role = Wire(role) });
    }

    private static async Task<IResult> CreateApiKey(CreateApiKeyRequest? request, AutopackDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Name) || request.Name.Length > 100)
            return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["name"] = ["is required, at most 100 characters"] });
        if (!EnumNames.TryParse<Role>(request.Role ?? "viewer", out var role))
            return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["role"] = ["must be viewer, operator or admin"] });
        var key = ApiKeyHasher.NewKey();
        var row = new ApiKey { Name = request.Name, Prefix = ApiKeyHasher.Prefix(key), Hash = ApiKeyHasher.Hash(key), Role = role, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/admin/api-keys/{row.Id}", new { id = row.Id, name = row.Name, role = Wire(role), key });
    }

    private static async Task<IResult> RevokeApiKey(long id, AutopackDbContext db, ApiKeyCache cache, TimeProvider time, CancellationToken ct)
    {
        var revoked = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, time.GetUtcNow().UtcDateTime), ct);
        cache.Forget(id);
        if (revoked == 1) return Results.NoContent();
        return await db.ApiKeys.AnyAsync(k => k.Id == id, ct) ? Results.NoContent() : ApiProblem.NotFound($"API key {id}");
    }
}
