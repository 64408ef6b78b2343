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
/// The single active relay: holds the lease (standby otherwise, see <see cref="RelayLease"/>), claims due messages
/// in creation order, delivers them through their sink, and settles each one fenced by its lease term. The fence is
/// also checked before every send, so a relay whose lease lapsed (paused, starved) stops sending at once.
/// At-least-once: a crash, or a lost lease, between send and mark means the message is sent again, with the same
/// Idempotency-Key.
/// </summary>
public sealed class OutboxRelay : BackgroundService
{
    private readonly IAutopackDbFactory _dbFactory;
    private readonly IOptions<OutboxOptions> _options;
    private readonly OutboxMetrics _metrics;
    private readonly KillSwitchReader _killSwitches;
    private readonly ILogger<OutboxRelay> _logger;
    private readonly Dictionary<string, IOutboxSink> _sinks;
    private readonly RelayLease _lease;
    private readonly TimeProvider _time;

    public OutboxRelay(IAutopackDbFactory dbFactory, IEnumerable<IOutboxSink> sinks, IOptions<OutboxOptions> options, OutboxMetrics metrics,
        KillSwitchReader killSwitches, TimeProvider time, ILogger<OutboxRelay> logger)
    {
        (_dbFactory, _options, _metrics, _killSwitches, _time, _logger) = (dbFactory, options, metrics, killSwitches, time, logger);
        _sinks = sinks.ToDictionary(s => s.Destination);
        var o = _options.Value;
        var period = TimeSpan.FromSeconds(o.LeaseSeconds);
        _lease = new RelayLease(dbFactory, Holder, period, TimeSpan.FromMilliseconds(Math.Min(o.PollMs, period.TotalMilliseconds / 3)), time, logger);
    }

    public string Holder { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Our lease term while we lead; null as standby.</summary>
    public long? Term => _lease.Term;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = _options.Value;
        _logger.LogInformation("Outbox relay {Holder} started (lease {Lease}s); sinks: {Sinks}", Holder, o.LeaseSeconds,
            string.Join(", ", _sinks.Values.Select(s => $"{s.Destination}={(s.NotConfiguredReason is null ? "on" : "off")}")));
        var keeping = Task.Run(() => _lease.KeepAsync(stoppingToken), CancellationToken.None);
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try { worked = _lease.Term is { } term && await DeliverBatchAsync(term, stoppingToken); }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "Outbox relay cycle failed: {Error}", ex.GetBaseException().Message);
            }
            if (!worked)
            {
                try { await Task.Delay(o.PollMs, stoppingToken); } catch (OperationCanceledException) { break; }
            }
        }
        await keeping;
        if (_lease.Term is not null)
        {
            await _lease.ReleaseAsync();
            _logger.LogInformation("Outbox relay {Holder} released the lease", Holder);
        }
    }

    /// <summary>One batch under <paramref name="term"/>: claim, send, settle. True when it claimed something.</summary>
    private async Task<bool> DeliverBatchAsync(long term, CancellationToken ct)
    {
        var o = _options.Value;
        await using var db = _dbFactory.Create();
        _metrics.SetQueueDepth(await db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Pending || m.Status == OutboxStatus.Processing, ct));

        // A message is locked for one lease period: if we die, the next leader reclaims it then. While we live, the
        // claim fence keeps everyone else off it however long the batch takes.
        var batch = await OutboxStore.ClaimAsync(db, Holder, term, o.BatchSize, TimeSpan.FromSeconds(o.LeaseSeconds), ct);
        var sendable = new List<(OutboxMessage Message, IOutboxSink Sink)>(batch.Count);
        foreach (var message in batch)
            if (await ReadyToSendAsync(db, message, term, ct) is { } sink) sendable.Add((message, sink));

        var results = new System.Collections.Concurrent.ConcurrentDictionary<Guid, DeliveryResult>();
        try
        {
            // Messages of one run go out in creation order; different runs go out side by side.
            await Parallel.ForEachAsync(sendable.GroupBy(x => x.Message.RunId ?? x.Message.Id.ToString()),
                new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = ct },
                async (run, token) =>
                {
                    foreach (var (message, sink) in run)
                    {
                        // Past the lease a standby may be sending these; what we have not sent stays for it.
                        if (!_lease.Holds(term)) break;
                        results[message.Id] = await sink.DeliverAsync(message, token);
                    }
                });
        }
        finally
        {
            // Whatever was sent is settled, even when the cycle is cancelled half-way.
            await SettleDeliveredAsync(db, sendable.Select(x => x.Message).Where(m => results.TryGetValue(m.Id, out var r) && r.Outcome == DeliveryOutcome.Delivered).ToList(), term);
        }
        if (sendable.Count - results.Count is > 0 and var unsent && !ct.IsCancellationRequested)
            _logger.LogWarning("Outbox relay {Holder} lost the lease (term {Term}) mid-batch; {Count} message(s) left unsent for the next leader", Holder, term, unsent);
        foreach (var (message, _) in sendable)
            if (results.TryGetValue(message.Id, out var result) && result.Outcome != DeliveryOutcome.Delivered)
                await SettleFailureAsync(db, message, result, term, ct);
        return batch.Count > 0;
    }

    /// <summary>
    /// Marks the batch's delivered messages with one statement: a round trip per batch instead of per message is
    /// most of the relay's throughput. A crash before it commits means they are sent again (same key).
    /// </summary>
    private async Task SettleDeliveredAsync(AutopackDbContext db, List<OutboxMessage> delivered, long term)
    {
        if (delivered.Count == 0) return;
        _metrics.Attempts.Add(delivered.Count, new KeyValuePair<string, object?>("outcome", "delivered"));
        var settled = await OutboxStore.MarkDeliveredAsync(db, delivered, Holder, term, CancellationToken.None);
        if (settled.Count < delivered.Count)
            _logger.LogWarning("Lost the lease before settling {Count} delivered message(s); the next leader will send them again", delivered.Count - settled.Count);
        _metrics.Delivered.Add(settled.Count);
        foreach (var message in delivered.Where(m => settled.Contains(m.Id)))
            _metrics.DeliveryLatencyMs.Record((_time.GetUtcNow().UtcDateTime - message.CreatedAt).TotalMilliseconds);
    }

    /// <summary>The message's sink when it may be sent now; otherwise settles it (dead, skipped, held) and returns null.</summary>
    private async Task<IOutboxSink?> ReadyToSendAsync(AutopackDbContext db, OutboxMessage message, long term, CancellationToken ct)
    {
        if (!_sinks.TryGetValue(message.Destination, out var sink))
        {
            await OutboxStore.MarkDeadAsync(db, message, Holder, term, $"no sink for destination '{message.Destination}'", ct);
            _metrics.Dead.Add(1);
            return null;
        }
        if (sink.NotConfiguredReason is { } why)
        {
            await OutboxStore.MarkSkippedAsync(db, message, Holder, term, "skipped: " + why, ct);
            return null;
        }
        var switchName = message.Destination == OutboxWriter.Telegram ? KillSwitchNames.DisableTelegram : KillSwitchNames.DisableWebhooks;
        if (await _killSwitches.IsEngagedAsync(switchName, ct))
        {
            // Held, not lost: retried once the switch is off.
            await OutboxStore.ScheduleRetryAsync(db, message, Holder, term, $"held: kill switch {switchName} is on", TimeSpan.FromSeconds(_options.Value.LeaseSeconds), ct);
            return null;
        }
        return sink;
    }

    /// <summary>A failed send: retry later with backoff, or dead (permanent error or attempts used up).</summary>
    private async Task SettleFailureAsync(AutopackDbContext db, OutboxMessage message, DeliveryResult result, long term, CancellationToken ct)
    {
        var o = _options.Value;
        _metrics.Attempts.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome.ToString().ToLowerInvariant()));
        var retry = result.Outcome == DeliveryOutcome.Retry && message.Attempts < o.MaxAttempts;
        var delay = Max(result.RetryAfter, o.Backoff.DelayAfter(message.Attempts));
        var settled = retry
            ? await OutboxStore.ScheduleRetryAsync(db, message, Holder, term, result.Error!, delay, ct)
            : await OutboxStore.MarkDeadAsync(db, message, Holder, term, result.Error ?? "failed", ct);
        if (settled == 0)
        {
            _logger.LogWarning("Lost the lease before settling message {Id}; the next leader will retry it", message.Id);
        }
        else if (retry)
        {
            _logger.LogInformation("Message {Id} ({Type}) attempt {Attempts} failed: {Error}; next attempt in {DelayMs} ms",
                message.Id, message.Type, message.Attempts, result.Error, (long)delay.TotalMilliseconds);
        }
        else if (result.Outcome == DeliveryOutcome.Permanent || message.Attempts >= o.MaxAttempts)
        {
            _metrics.Dead.Add(1);
            _logger.LogWarning("Message {Id} ({Type}) is dead after {Attempts} attempt(s): {Error}", message.Id, message.Type, message.Attempts, result.Error);
        }
    }

    private static TimeSpan Max(TimeSpan? a, TimeSpan b) => a is { } x && x > b ? x : b;
}
