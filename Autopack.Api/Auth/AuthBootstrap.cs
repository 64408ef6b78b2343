using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Api.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Auth;

/// <summary>
/// First access: AUTOPACK_API_KEY becomes the admin key "bootstrap"; AUTOPACK_ADMIN_USER +
/// AUTOPACK_ADMIN_PASSWORD (a secret: <c>_FILE</c> works) create the first admin user for the dashboard. Both only when absent.
/// </summary>
public sealed class AuthBootstrap(AutopackSettings settings, IOptions<ApiOptions> options, IAutopackDbFactory dbFactory,
    IPasswordHasher<User> hasher, TimeProvider time, ILogger<AuthBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        if (settings.Secret(SecretNames.ApiKey) is { } key)
        {
            var hash = ApiKeyHasher.Hash(key);
            if (!await db.ApiKeys.AnyAsync(k => k.Hash == hash, ct))
            {
                db.ApiKeys.Add(new ApiKey { Name = "bootstrap", Prefix = ApiKeyHasher.Prefix(key), Hash = hash, Role = Role.Admin, CreatedAt = time.GetUtcNow().UtcDateTime });
                await SaveIgnoringRaceAsync(db, ct);
                logger.LogInformation("Bootstrapped the admin API key from AUTOPACK_API_KEY");
            }
        }
        var user = options.Value.AdminUser;
        var password = settings.Secret(SecretNames.AdminPassword);
        if (!string.IsNullOrWhiteSpace(user) && !string.IsNullOrEmpty(password) && !await db.Users.AnyAsync(u => u.Username == user, ct))
        {
            var admin = new User { Username = user, PasswordHash = "", Role = Role.Admin, CreatedAt = time.GetUtcNow().UtcDateTime };
            admin.PasswordHash = hasher.HashPassword(admin, password);
            db.Users.Add(admin);
            await SaveIgnoringRaceAsync(db, ct);
            logger.LogInformation("Bootstrapped admin user {User}", user);
        }
    }

    // Two API replicas starting together both try; the unique index lets exactly one win.
    private static async Task SaveIgnoringRaceAsync(AutopackDbContext db, CancellationToken ct)
    {
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { db.ChangeTracker.Clear(); }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
