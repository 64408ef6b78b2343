using System.Threading.RateLimiting;

namespace Autopack.Api.Extensions;

/// <summary>
/// The process-wide concurrency limit: ASP.NET Core's <see cref="ConcurrencyLimiter"/> with a queue, plus
/// what it lacks — a queued request that waits longer than the queue timeout is refused (429 with
/// Retry-After) instead of waiting for ever.
/// </summary>
public sealed class QueueTimeoutLimiter(ConcurrencyLimiterOptions options, TimeSpan queueTimeout) : RateLimiter
{
    private readonly ConcurrencyLimiter _inner = new(options);

    public override TimeSpan? IdleDuration => _inner.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => _inner.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => _inner.AttemptAcquire(permitCount);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(queueTimeout);
        try
        {
            return await _inner.AcquireAsync(permitCount, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new QueueTimedOut(queueTimeout);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    private sealed class QueueTimedOut(TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;
        public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
