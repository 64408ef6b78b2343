#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental; the documented way to opt one client out of the defaults
using Autopack.OutboxWorker.Relay;
using Autopack.OutboxWorker.Sinks;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Extensions;

public static class OutboxWorkerServiceExtensions
{
    public static IHostApplicationBuilder AddOutboxWorkerServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OutboxOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>();
        // Each attempt is exactly one request: retries belong to the outbox's backoff, not to an HTTP handler.
        services.AddHttpClient(WebhookSink.ClientName).RemoveAllResilienceHandlers();
        services.AddHttpClient(TelegramSink.ClientName, c => c.Timeout = TimeSpan.FromSeconds(40)).RemoveAllResilienceHandlers();
        services.AddSingleton<WebhookSink>();
        services.AddSingleton<TelegramSink>();
        services.AddSingleton(Core.Outbox.TelegramApprovers.From(builder.Configuration));
        services.AddSingleton<IOutboxSink>(sp => sp.GetRequiredService<WebhookSink>());
        services.AddSingleton<IOutboxSink>(sp => sp.GetRequiredService<TelegramSink>());
        services.AddSingleton<OutboxMetrics>();
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddHostedService<TelegramLongPoller>();
        return builder;
    }
}
