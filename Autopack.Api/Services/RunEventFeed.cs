using System.Collections.Concurrent;
using System.Threading.Channels;
using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>
/// One database poller per API process fans new run events out to every open stream, so a thousand
/// streams cost one query per watched run per poll, not a thousand. On PostgreSQL a NOTIFY from the writer
/// triggers the poll at once (<see cref="RunEventNotifications"/>). It follows each run by its gapless
/// per-run sequence, which commits in order, so no event is skipped; any replica can serve any client. Each event is
/// encoded once (<see cref="SseFrame"/>) and the same bytes go to every stream, and one heartbeat for all streams comes
/// from this loop, so an idle stream holds no timer of its own.
/// </summary>
public sealed class RunEventFeed(IAutopackDbFactory dbFactory, IOptions<ApiLimitsOptions> options, TimeProvider time, ILogger<RunEventFeed> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, RunWatch> _runs = new();
    private readonly SemaphoreSlim _wake = new(0, 1);

    public Subscription Subscribe(string runId, long afterSequence)
    {
        var subscription = new Subscription(this, runId);
        var watch = _runs.GetOrAdd(runId, _ => new RunWatch(afterSequence));
        lock (watch)
        {
            watch.Subscribers.Add(subscription);
            // A new subscriber may need events the feed already passed; the endpoint replays those from the database.
            watch.Cursor = Math.Min(watch.Cursor, afterSequence);
        }
        return subscription;
    }

    private void Unsubscribe(Subscription s)
    {
        if (!_runs.TryGetValue(s.RunId, out var watch)) return;
        lock (watch)
        {
            watch.Subscribers.Remove(s);
            if (watch.Subscribers.Count == 0) _runs.TryRemove(KeyValuePair.Create(s.RunId, watch));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.SsePollMs);
        var heartbeat = TimeSpan.FromSeconds(options.Value.SseHeartbeatSeconds);
        var nextPing = time.GetUtcNow() + heartbeat;
        var listener = ListenAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await PollOnceAsync(stoppingToken); }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested) { logger.LogWarning(ex, "Run event poll failed: {Error}", ex.GetBaseException().Message); }
            var now = time.GetUtcNow();
            if (now >= nextPing)
            {
                Broadcast(SseFrame.Ping);
                nextPing = now + heartbeat;
            }
            // Next poll after the interval (or sooner, for the heartbeat), or at once when PostgreSQL announces an event of a watched run.
            var wait = nextPing - now < interval ? nextPing - now : interval;
            try { await _wake.WaitAsync(wait, stoppingToken); } catch (OperationCanceledException) { break; }
        }
        await listener;
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        string? connectionString;
        await using (var db = dbFactory.Create())
        {
            if (!db.IsPostgres) return;
            connectionString = db.Database.GetConnectionString();
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunEventNotifications.ListenAsync(connectionString!, runId =>
                {
                    if (_runs.ContainsKey(runId) && _wake.CurrentCount == 0) { try { _wake.Release(); } catch (SemaphoreFullException) { } }
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Run event listener lost its connection ({Error}); polling until it is back", ex.GetBaseException().Message);
                try { await Task.Delay(TimeSpan.FromSeconds(5), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task PollOnceAsync(CancellationToken ct)
    {
        if (_runs.IsEmpty) return;
        await using var db = dbFactory.Create();
        foreach (var (runId, watch) in _runs)
        {
            long cursor;
            lock (watch) cursor = watch.Cursor;
            var events = await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Sequence > cursor)
                .OrderBy(e => e.Sequence).Take(500).ToListAsync(ct);
            if (events.Count == 0) continue;
            Subscription[] targets;
            lock (watch)
            {
                watch.Cursor = Math.Max(watch.Cursor, events[^1].Sequence);
                targets = [.. watch.Subscribers];
            }
            var frames = events.ConvertAll(SseFrame.From);
            foreach (var s in targets)
                foreach (var frame in frames)
                    s.Writer.TryWrite(frame);
        }
    }

    private void Broadcast(SseFrame frame)
    {
        foreach (var (_, watch) in _runs)
        {
            Subscription[] targets;
            lock (watch) targets = [.. watch.Subscribers];
            foreach (var s in targets) s.Writer.TryWrite(frame);
        }
    }

    private sealed class RunWatch(long cursor)
    {
        public long Cursor = cursor;
        public readonly List<Subscription> Subscribers = [];
    }

    public sealed class Subscription : IDisposable
    {
        private readonly RunEventFeed _feed;
        // Bounded so one stalled client cannot hold unbounded memory; the stream sees the jump in sequence
        // numbers and replays the dropped range from the database (EventsApi).
        private readonly Channel<SseFrame> _channel = Channel.CreateBounded<SseFrame>(
            new BoundedChannelOptions(1_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });

        internal Subscription(RunEventFeed feed, string runId) { _feed = feed; RunId = runId; }

        public string RunId { get; }
        internal ChannelWriter<SseFrame> Writer => _channel.Writer;
        public ChannelReader<SseFrame> Reader => _channel.Reader;

        public void Dispose() => _feed.Unsubscribe(this);
    }
}
