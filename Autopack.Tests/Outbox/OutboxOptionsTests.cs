using Autopack.OutboxWorker.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Autopack.Tests.Outbox;

/// <summary>The relay's settings come from their variables through the worker's own registration, validated once.</summary>
public class OutboxOptionsTests
{
    private static IOptions<OutboxOptions> Register(Dictionary<string, string?> variables)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(variables);
        builder.AddOutboxWorkerServices();
        return builder.Services.BuildServiceProvider().GetRequiredService<IOptions<OutboxOptions>>();
    }

    [Fact]
    public void Every_variable_reaches_its_option_and_unset_ones_keep_their_defaults()
    {
        var o = Register(new()
        {
            ["AUTOPACK_OUTBOX_BATCH_SIZE"] = "25", ["AUTOPACK_OUTBOX_POLL_MS"] = "100", ["AUTOPACK_OUTBOX_BACKOFF_BASE_MS"] = "400",
            ["AUTOPACK_OUTBOX_JITTER"] = "0.1", ["AUTOPACK_OUTBOX_LEASE_SECONDS"] = "2", ["AUTOPACK_WEBHOOK_URLS"] = "http://a/x, http://b/y",
            ["TELEGRAM_API_BASE_URL"] = "http://127.0.0.1:9/", ["AUTOPACK_TELEGRAM_MODE"] = "polling",
        }).Value;
        Assert.Equal((25, 100, 400, 0.1, 2.0), (o.BatchSize, o.PollMs, o.BackoffBaseMs, o.Jitter, o.LeaseSeconds));
        Assert.Equal(["http://a/x", "http://b/y"], o.WebhookUrls);
        Assert.Equal(("http://127.0.0.1:9/", "polling"), (o.TelegramApiBaseUrl.ToString(), o.TelegramMode));
        Assert.Equal((4, 5, 900_000), (o.Parallelism, o.MaxAttempts, o.BackoffMaxMs));
        Assert.Equal(Autopack.Core.Outbox.TelegramBotApi.DefaultBaseUrl, Register(new()).Value.TelegramApiBaseUrl);
    }

    [Fact]
    public void A_value_out_of_range_is_refused_naming_the_member()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Register(new() { ["AUTOPACK_OUTBOX_PARALLELISM"] = "0" }).Value);
        Assert.Contains("Parallelism", ex.Message);
    }
}
