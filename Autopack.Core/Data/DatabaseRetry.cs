namespace Autopack.Core.Data;

/// <summary>
/// How hard a service's PostgreSQL calls retry a transient failure (EF Core's <c>NpgsqlRetryingExecutionStrategy</c>, which
/// Aspire's <c>EnrichNpgsqlDbContext</c> keeps when it is already configured). Retrying is safe: every explicit transaction
/// runs through <see cref="TransactionExtensions.RunInTransactionAsync{T}"/>.
/// </summary>
public sealed record DatabaseRetry(int MaxRetryCount, TimeSpan MaxRetryDelay)
{
    /// <summary>Background loops (executor, outbox worker): EF's and Aspire's default, riding out a restart or a failover.</summary>
    public static readonly DatabaseRetry Background = new(6, TimeSpan.FromSeconds(30));

    /// <summary>
    /// Requests (the API): a blip is retried once or twice, while an outage answers 503 <c>database_unavailable</c> within about a
    /// second instead of holding every request for a minute of retries until its timeout (408).
    /// </summary>
    public static readonly DatabaseRetry Requests = new(2, TimeSpan.FromSeconds(1));

    public static readonly DatabaseRetry None = new(0, TimeSpan.Zero);
}
