using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.OutboxWorker.Extensions;
using Microsoft.Extensions.Options;

namespace Autopack.OutboxWorker.Sinks;

/// <summary>
/// POSTs the event to every configured URL with <c>Idempotency-Key: &lt;message id&gt;</c> and, when a secret is
/// set, <c>X-Autopack-Signature: sha256=&lt;HMAC-SHA256 of the body&gt;</c>. The message is delivered only when
/// every URL accepted it (receivers dedupe by the key).
/// </summary>
public sealed class WebhookSink(IHttpClientFactory clients, IOptions<OutboxOptions> options) : IOutboxSink
{
    public const string ClientName = "webhook";
    public string Destination => Core.Events.OutboxWriter.Webhook;
    public string? NotConfiguredReason => options.Value.WebhookUrls.Length == 0 ? "no webhook configured (AUTOPACK_WEBHOOK_URLS)" : null;

    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = message.Id,
            type = message.Type,
            run_id = message.RunId,
            created_at = message.CreatedAt,
            attempt = message.Attempts,
            payload = JsonDocument.Parse(message.Payload).RootElement,
        });
        var http = clients.CreateClient(ClientName);
        foreach (var url in options.Value.WebhookUrls)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("Idempotency-Key", message.Id.ToString());
            request.Headers.Add("X-Autopack-Event", message.Type);
            if (options.Value.WebhookSecret is { Length: > 0 } secret) request.Headers.Add("X-Autopack-Signature", Sign(secret, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.WebhookTimeoutMs);
            try
            {
                using var response = await http.SendAsync(request, timeout.Token);
                var result = DeliveryResult.FromStatus((int)response.StatusCode, url);
                if (result.Outcome != DeliveryOutcome.Delivered) return result;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return DeliveryResult.Retry($"{url} timed out after {options.Value.WebhookTimeoutMs} ms"); }
            catch (HttpRequestException ex) { return DeliveryResult.Retry($"{url}: {ex.Message}"); }
        }
        return DeliveryResult.Ok;
    }
}
