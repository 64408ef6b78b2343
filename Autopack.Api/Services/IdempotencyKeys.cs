using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// Idempotency-Key as in the IETF draft: the first request with a key claims it; a retry with the same body gets the
/// first response again, one with a different body is refused (422), and one that arrives while the first is still
/// running is told to retry (409). The claim is a row of its own, committed before the work starts, so two replicas
/// racing on one key cannot both do it; the response is stored in the transaction of the work itself.
/// </summary>
public sealed class IdempotencyKeys(IAutopackDbFactory dbFactory, TimeProvider time)
{
    public abstract record Claim;
    public sealed record Claimed : Claim;
    public sealed record Replay(int Status, string Body, string? ResourceId) : Claim;
    public sealed record Reused : Claim;
    public sealed record InFlight(TimeSpan RetryAfter) : Claim;

    public static string Fingerprint<T>(T request, JsonSerializerOptions options) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, options))));

    /// <param name="lease">How long the claim holds without a response: the request timeout, after which the request cannot still be running.</param>
    public async Task<Claim> ClaimAsync(string key, string fingerprint, TimeSpan lease, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await using var db = dbFactory.Create();
            // Looked up first so an ordinary retry is not a failed INSERT (which EF logs as an error); the unique key still decides races.
            if (await db.IdempotencyRecords.AnyAsync(r => r.Key == key, ct)) throw new KeyTaken();
            db.IdempotencyRecords.Add(new IdempotencyRecord { Key = key, Fingerprint = fingerprint, CreatedAt = now, LockedUntil = now + lease });
            await db.SaveChangesAsync(ct);
            return new Claimed();
        }
        catch (KeyTaken) { }
        catch (DbUpdateException ex) when (RunCreator.IsUniqueViolation(ex)) { }

        await using (var db = dbFactory.Create())
        {
            var record = await db.IdempotencyRecords.AsNoTracking().SingleAsync(r => r.Key == key, ct);
            if (record.Fingerprint != fingerprint) return new Reused();
            if (record.ResponseStatus is { } status) return new Replay(status, record.ResponseBody ?? "", record.ResourceId);
            if (record.LockedUntil > now) return new InFlight(record.LockedUntil - now);
            // Its owner died without an answer (the work rolled back with it): take the key over, once, conditionally.
            var taken = await db.IdempotencyRecords
                .Where(r => r.Key == key && r.ResponseStatus == null && r.LockedUntil == record.LockedUntil)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LockedUntil, now + lease), ct);
            return taken == 1 ? new Claimed() : new InFlight(TimeSpan.FromSeconds(1));
        }
    }

    private sealed class KeyTaken : Exception;

    /// <summary>Stores the response in the caller's transaction, so the work and its recorded answer commit together.</summary>
    public static Task CompleteAsync(AutopackDbContext db, string key, int status, string body, string? resourceId, CancellationToken ct) =>
        db.IdempotencyRecords.Where(r => r.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ResponseStatus, status).SetProperty(r => r.ResponseBody, body).SetProperty(r => r.ResourceId, resourceId), ct);

    /// <summary>
    /// Forgets the keys first used before <paramref name="createdBefore"/>, as the draft lets a server do after a stated
    /// time: the record and the key on the run it created (unique there too), so the same key later is a new request. A
    /// key without a response whose request may still be running (its lease not past <paramref name="now"/>) is kept
    /// whatever its age. Returns how many keys were forgotten.
    /// </summary>
    public static Task<int> ForgetOlderThanAsync(AutopackDbContext db, DateTime createdBefore, DateTime now, CancellationToken ct = default) =>
        db.RunInTransactionAsync(async () =>
        {
            var expired = db.IdempotencyRecords.Where(r => r.CreatedAt < createdBefore && (r.ResponseStatus != null || r.LockedUntil < now));
            await db.Runs.Where(run => run.IdempotencyKey != null && expired.Any(r => r.Key == run.IdempotencyKey))
                .ExecuteUpdateAsync(s => s.SetProperty(run => run.IdempotencyKey, (string?)null), ct);
            return await expired.ExecuteDeleteAsync(ct);
        }, ct);

    /// <summary>Frees a claim whose request ended without a result worth replaying (a conflict, an error), so the client can retry.</summary>
    public async Task ReleaseAsync(string key)
    {
        await using var db = dbFactory.Create();
        await db.IdempotencyRecords.Where(r => r.Key == key && r.ResponseStatus == null).ExecuteDeleteAsync(CancellationToken.None);
    }
}
