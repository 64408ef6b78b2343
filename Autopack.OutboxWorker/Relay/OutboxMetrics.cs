using System.Diagnostics.Metrics;

namespace Autopack.OutboxWorker.Relay;

/// <summary>Queue depth, delivery latency, attempts and dead letters, under the "Autopack" meter.</summary>
public sealed class OutboxMetrics
{
    private long _queueDepth;
    public Counter<long> Delivered { get; }
    public Counter<long> Attempts { get; }
    public Counter<long> Dead { get; }
    public Histogram<double> DeliveryLatencyMs { get; }

    public OutboxMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Autopack.ServiceDefaults.AutopackMeters.Name);
        Delivered = meter.CreateCounter<long>("autopack.outbox.delivered", description: "messages delivered");
        Attempts = meter.CreateCounter<long>("autopack.outbox.attempts", description: "delivery attempts, by outcome");
        Dead = meter.CreateCounter<long>("autopack.outbox.dead", description: "messages moved to the dead-letter queue");
        DeliveryLatencyMs = meter.CreateHistogram<double>("autopack.outbox.delivery_latency", unit: "ms", description: "from enqueue to delivery");
        meter.CreateObservableGauge("autopack.outbox.queue_depth", () => Interlocked.Read(ref _queueDepth), description: "messages waiting (pending or processing)");
    }

    public void SetQueueDepth(long depth) => Interlocked.Exchange(ref _queueDepth, depth);
}
