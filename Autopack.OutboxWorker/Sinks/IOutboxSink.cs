using Autopack.Core.Domain;

namespace Autopack.OutboxWorker.Sinks;

/// <summary>Delivers messages of one destination. Null from <see cref="NotConfiguredReason"/> means it is ready.</summary>
public interface IOutboxSink
{
    string Destination { get; }
    string? NotConfiguredReason { get; }
    Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken ct);
}

public enum DeliveryOutcome { Delivered, Retry, Permanent }

public sealed record DeliveryResult(DeliveryOutcome Outcome, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly DeliveryResult Ok = new(DeliveryOutcome.Delivered);
    public static DeliveryResult Retry(string error, TimeSpan? after = null) => new(DeliveryOutcome.Retry, error, after);
    public static DeliveryResult Permanent(string error) => new(DeliveryOutcome.Permanent, error);

    /// <summary>2xx delivered; 408, 429 and 5xx worth retrying; any other 4xx will never succeed.</summary>
    public static DeliveryResult FromStatus(int status, string what) => status switch
    {
        >= 200 and < 300 => Ok,
        408 or 429 or >= 500 => Retry($"{what} answered {status}"),
        _ => Permanent($"{what} answered {status}"),
    };
}
