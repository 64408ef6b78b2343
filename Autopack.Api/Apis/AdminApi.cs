using Autopack.Api.Auth;
using Autopack.Api.Extensions;
using Autopack.Api.Services;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Apis;

public sealed record CreateUserRequest(string? Username, string? Password, string? Role);

public sealed record CreateApiKeyRequest(string? Name, string? Role);

public sealed record UserDto(string Username, string Role, bool Disabled, DateTime CreatedAt);

public sealed record UserList(IReadOnlyList<UserDto> Items);

public sealed record CreatedUserDto(string Username, string Role);

public sealed record ApiKeyDto(long Id, string Name, string Prefix, string Role, DateTime CreatedAt, DateTime? RevokedAt);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyDto> Items);

/// <summary>A new key: the only time its secret is shown.</summary>
public sealed record CreatedApiKeyDto(long Id, string Name, string Role, string Key);

/// <summary>Users, API keys and live-stream statistics; admins only.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").WithTags("Admin").RequireAuthorization(AuthPolicies.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/users", CreateUser).ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/users", ListUsers);
        admin.MapPost("/api-keys", CreateApiKey).ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        admin.MapGet("/api-keys", ListApiKeys);
        admin.MapDelete("/api-keys/{id:long}", RevokeApiKey).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/sse/stats", (SseConnections connections) => TypedResults.Ok(connections.Stats()));
        return admin;
    }

    private static string Wire(Role role) => EnumNames.ToWire(role).ToLowerInvariant();

    private static async Task<Ok<UserList>> ListUsers(AutopackDbContext db, CancellationToken ct) =>
        TypedResults.Ok(new UserList((await db.Users.AsNoTracking().OrderBy(u => u.Username).ToListAsync(ct))
            .Select(u => new UserDto(u.Username, Wire(u.Role), u.Disabled, u.CreatedAt)).ToList()));

    private static async Task<Ok<ApiKeyList>> ListApiKeys(AutopackDbContext db, CancellationToken ct) =>
        TypedResults.Ok(new ApiKeyList((await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(ct))
            .Select(k => new ApiKeyDto(k.Id, k.Name, k.Prefix, Wire(k.Role), k.CreatedAt, k.RevokedAt)).ToList()));

    private static async Task<Results<Created<CreatedUserDto>, ProblemHttpResult>> CreateUser(CreateUserRequest? request, AutopackDbContext db,
        IPasswordHasher<User> hasher, TimeProvider time, CancellationToken ct)
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
        return TypedResults.Created($"/admin/users/{user.Username}", new CreatedUserDto(user.Username, Wire(role)));
    }

    private static async Task<Results<Created<CreatedApiKeyDto>, ProblemHttpResult>> CreateApiKey(CreateApiKeyRequest? request, AutopackDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Name) || request.Name.Length > 100)
            return ApiProblem.Validation(400, new Dictionary<string, string[]> { ["name"] = ["is required, at most 100 characters"] });
        if (!EnumNames.TryParse<Role>(request.Role ?? "viewer", out var role))
            return ApiProblem.Validation(422, new Dictionary<string, string[]> { ["role"] = ["must be viewer, operator or admin"] });
        var key = ApiKeyHasher.NewKey();
        var row = new ApiKey { Name = request.Name, Prefix = ApiKeyHasher.Prefix(key), Hash = ApiKeyHasher.Hash(key), Role = role, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/admin/api-keys/{row.Id}", new CreatedApiKeyDto(row.Id, row.Name, Wire(role), key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeApiKey(long id, AutopackDbContext db, ApiKeyCache cache, TimeProvider time,
        CancellationToken ct)
    {
        var revoked = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, time.GetUtcNow().UtcDateTime), ct);
        cache.Forget(id);
        if (revoked == 1) return TypedResults.NoContent();
        return await db.ApiKeys.AnyAsync(k => k.Id == id, ct) ? TypedResults.NoContent() : ApiProblem.NotFound($"API key {id}");
    }
}
