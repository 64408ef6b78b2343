using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>Forgets Idempotency-Keys past <c>AUTOPACK_IDEMPOTENCY_KEY_TTL_HOURS</c>, so the table holds a day of keys, not every key ever sent.</summary>
public sealed class IdempotencyKeySweeper(IAutopackDbFactory dbFactory, IOptions<ApiLimitsOptions> options, TimeProvider time, ILogger<IdempotencyKeySweeper> logger)
    : DatabaseSweep(dbFactory, time, logger)
{
    // Often enough that a key outlives its time by a small fraction of it; every replica sweeps, and a delete of nothing is cheap.
    protected override TimeSpan Interval => TimeSpan.FromMinutes(5);

    protected override async Task SweepAsync(AutopackDbContext db, CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        var forgotten = await IdempotencyKeys.ForgetOlderThanAsync(db, now - TimeSpan.FromHours(options.Value.IdempotencyKeyTtlHours), now, ct);
        if (forgotten > 0) logger.LogInformation("Forgot {Count} idempotency key(s) older than {Hours} h", forgotten, options.Value.IdempotencyKeyTtlHours);
    }
}
