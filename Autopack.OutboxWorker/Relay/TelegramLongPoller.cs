using Autopack.Core.Data;
using Autopack.Core.Outbox;
using Autopack.OutboxWorker.Extensions;
using Autopack.OutboxWorker.Sinks;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Relay;

/// <summary>
/// AUTOPACK_TELEGRAM_MODE=polling: for deployments without a public URL, button presses are fetched with
/// getUpdates instead of arriving at the API's webhook. Only the relay leader polls (Telegram allows one poller).
/// </summary>
public sealed class TelegramLongPoller(OutboxRelay relay, TelegramSink sink, IAutopackDbFactory dbFactory, IOptions<OutboxOptions> options,
    TelegramApprovers approvers, ILogger<TelegramLongPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.TelegramMode != "polling" || sink.NotConfiguredReason is not null) return;
        long offset = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (relay.Term is null) { await Task.Delay(1000, stoppingToken); continue; }
                var reply = await sink.Bot().GetUpdatesAsync(offset, timeoutSeconds: 25, stoppingToken);
                if (!reply.Ok) { logger.LogWarning("getUpdates failed: {Status} {Error}", reply.HttpStatus, reply.Description); await Task.Delay(5000, stoppingToken); continue; }
                foreach (var update in reply.Result?.AsArray() ?? [])
                {
                    offset = Math.Max(offset, update!["update_id"]!.GetValue<long>() + 1);
                    await using var db = dbFactory.Create();
                    await TelegramUpdateHandler.HandleAsync(update, db, sink.Bot(), approvers, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Telegram polling failed: {Error}", ex.GetBaseException().Message);
                try { await Task.Delay(5000, stoppingToken); } catch (OperationCanceledException) { break; }
            }
        }
    }
}
