using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Autopack.Core.Outbox;
using Autopack.OutboxWorker.Extensions;
using Autopack.OutboxWorker.Sinks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Relay;

/// <summary>
/// The single active relay: holds the lease (standby otherwise), claims due messages in creation order,
/// delivers them through their sink, and settles each one fenced by its lease term. At-least-once: a crash
/// between send and mark means the message is sent again, with the same Idempotency-Key.
/// </summary>
public sealed class OutboxRelay(IAutopackDbFactory dbFactory, IEnumerable<IOutboxSink> sinks, IOptions<OutboxOptions> options,
    OutboxMetrics metrics, KillSwitchReader killSwitches, ILogger<OutboxRelay> logger) : BackgroundService
{
    public string Holder { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    public long? Term { get; private set; }

    private readonly Dictionary<string, IOutboxSink> _sinks = sinks.ToDictionary(s => s.Destination);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        logger.LogInformation("Outbox relay {Holder} started (lease {Lease}s); sinks: {Sinks}", Holder, o.LeaseSeconds,
            string.Join(", ", _sinks.Values.Select(s => $"{s.Destination}={(s.NotConfiguredReason is null ? "on" : "off")}")));
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try { worked = await RunOnceAsync(stoppingToken); }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Outbox relay cycle failed: {Error}", ex.Message);
            }
            if (!worked)
            {
                try { await Task.Delay(o.PollMs, stoppingToken); } catch (OperationCanceledException) { break; }
            }
        }
        if (Term is not null)
        {
            await using var db = dbFactory.Create();
            await LeaderLease.ReleaseAsync(db, LeaderLease.OutboxRelay, Holder, CancellationToken.None);
            logger.LogInformation("Outbox relay {Holder} released the lease", Holder);
        }
    }

    /// <summary>One cycle: renew or take the lease, then deliver one batch. True when it delivered something.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var db = dbFactory.Create();
        var term = await LeaderLease.TryAcquireAsync(db, LeaderLease.OutboxRelay, Holder, TimeSpan.FromSeconds(o.LeaseSeconds), ct);
        if (term != Term)
        {
            if (term is null) logger.LogInformation("Outbox relay {Holder} is standby", Holder);
            else logger.LogInformation("Outbox relay {Holder} is leader with term {Term}", Holder, term);
            Term = term;
        }
        if (term is null) return false;
        metrics.SetQueueDepth(await db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Pending || m.Status == OutboxStatus.Processing, ct));

        // A message is locked for at most one lease period: if we die, the next leader reclaims it then.
        var batch = await OutboxStore.ClaimAsync(db, Holder, term.Value, o.BatchSize, TimeSpan.FromSeconds(o.LeaseSeconds), ct);
        var sendable = new List<(OutboxMessage Message, IOutboxSink Sink)>(batch.Count);
        foreach (var message in batch)
            if (await ReadyToSendAsync(db, message, term.Value, ct) is { } sink) sendable.Add((message, sink));

        var results = new System.Collections.Concurrent.ConcurrentDictionary<Guid, DeliveryResult>();
        try
        {
            // Messages of one run go out in creation order; different runs go out side by side.
            await Parallel.ForEachAsync(sendable.GroupBy(x => x.Message.RunId ?? x.Message.Id.ToString()),
                new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = ct },
                async (run, token) =>
                {
                    foreach (var (message, sink) in run) results[message.Id] = await sink.DeliverAsync(message, token);
                });
        }
        finally
        {
            // Whatever was sent is settled, even when the cycle is cancelled half-way.
            await SettleDeliveredAsync(db, sendable.Select(x => x.Message).Where(m => results.TryGetValue(m.Id, out var r) && r.Outcome == DeliveryOutcome.Delivered).ToList(), term.Value);
        }
        foreach (var (message, _) in sendable)
            if (results.TryGetValue(message.Id, out var result) && result.Outcome != DeliveryOutcome.Delivered)
                await SettleFailureAsync(db, message, result, term.Value, ct);
        return batch.Count > 0;
    }

    /// <summary>
    /// Marks the batch's delivered messages with one statement: a round trip per batch instead of per message is
    /// most of the relay's throughput. A crash before it commits means they are sent again (same key).
    /// </summary>
    private async Task SettleDeliveredAsync(AutopackDbContext db, List<OutboxMessage> delivered, long term)
    {
        if (delivered.Count == 0) return;
        metrics.Attempts.Add(delivered.Count, new KeyValuePair<string, object?>("outcome", "delivered"));
        var settled = await OutboxStore.MarkDeliveredAsync(db, delivered, Holder, term, CancellationToken.None);
        if (settled.Count < delivered.Count)
            logger.LogWarning("Lost the lease before settling {Count} delivered message(s); the next leader will send them again", delivered.Count - settled.Count);
        metrics.Delivered.Add(settled.Count);
        foreach (var message in delivered.Where(m => settled.Contains(m.Id)))
            metrics.DeliveryLatencyMs.Record((DateTime.UtcNow - message.CreatedAt).TotalMilliseconds);
    }

    /// <summary>The message's sink when it may be sent now; otherwise settles it (dead, skipped, held) and returns null.</summary>
    private async Task<IOutboxSink?> ReadyToSendAsync(AutopackDbContext db, OutboxMessage message, long term, CancellationToken ct)
    {
        if (!_sinks.TryGetValue(message.Destination, out var sink))
        {
            await OutboxStore.MarkDeadAsync(db, message, Holder, term, $"no sink for destination '{message.Destination}'", ct);
            metrics.Dead.Add(1);
            return null;
        }
        if (sink.NotConfiguredReason is { } why)
        {
            await OutboxStore.MarkSkippedAsync(db, message, Holder, term, "skipped: " + why, ct);
            return null;
        }
        var switchName = message.Destination == OutboxWriter.Telegram ? KillSwitchNames.DisableTelegram : KillSwitchNames.DisableWebhooks;
        if (await killSwitches.IsEngagedAsync(switchName, ct))
        {
            // Held, not lost: retried once the switch is off.
            await OutboxStore.ScheduleRetryAsync(db, message, Holder, term, $"held: kill switch {switchName} is on", TimeSpan.FromSeconds(options.Value.LeaseSeconds), ct);
            return null;
        }
        return sink;
    }

    /// <summary>A failed send: retry later with backoff, or dead (permanent error or attempts used up).</summary>
    private async Task SettleFailureAsync(AutopackDbContext db, OutboxMessage message, DeliveryResult result, long term, CancellationToken ct)
    {
        var o = options.Value;
        metrics.Attempts.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome.ToString().ToLowerInvariant()));
        var settled = result.Outcome == DeliveryOutcome.Retry && message.Attempts < o.MaxAttempts
            ? await OutboxStore.ScheduleRetryAsync(db, message, Holder, term, result.Error!, Max(result.RetryAfter, o.Backoff.DelayAfter(message.Attempts)), ct)
            : await OutboxStore.MarkDeadAsync(db, message, Holder, term, result.Error ?? "failed", ct);
        if (settled == 0)
        {
            logger.LogWarning("Lost the lease before settling message {Id}; the next leader will retry it", message.Id);
        }
        else if (result.Outcome == DeliveryOutcome.Permanent || message.Attempts >= o.MaxAttempts)
        {
            metrics.Dead.Add(1);
            logger.LogWarning("Message {Id} ({Type}) is dead after {Attempts} attempt(s): {Error}", message.Id, message.Type, message.Attempts, result.Error);
        }
    }

    private static TimeSpan Max(TimeSpan? a, TimeSpan b) => a is { } x && x > b ? x : b;
}
