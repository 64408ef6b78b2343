using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on 127.0.0.1 speaking OpenAI's Chat Completions wire protocol (<c>POST /v1/chat/completions</c>),
/// so a real executor process with its real OpenAI-compatible client can be pointed at it by base URL
/// (<c>AUTOPACK_OPENAI_COMPAT_URL=&lt;BaseUrl&gt;</c>). Responses copy the shape of a recorded OpenAI response
/// (id, object, created, model, choices[].message/finish_reason, usage.prompt_tokens/completion_tokens/total_tokens
/// with details); answers come from a <see cref="ModelScript"/>.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ModelScript Script { get; }
    /// <summary>Base URL including <c>/v1/</c>, as OpenAI-compatible clients expect.</summary>
    public string BaseUrl { get; }
    /// <summary>Delay before answering (to make concurrency observable).</summary>
    public TimeSpan Latency { get; set; }
    /// <summary>Non-zero: every request is answered with this status (an outage), with <see cref="RetryAfter"/> if set.</summary>
    public int OutageStatus { get; set; }
    public TimeSpan? RetryAfter { get; set; }
    /// <summary>When each request refused by an outage arrived.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<DateTime> Refused { get; } = new();

    private FakeOpenAiServer(WebApplication app, ModelScript script, string baseUrl)
    {
        _app = app;
        Script = script;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeOpenAiServer> StartAsync(ModelScript script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeOpenAiServer? self = null;
        app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            if (self!.OutageStatus != 0)
            {
                self.Refused.Enqueue(DateTime.UtcNow);
                if (self.RetryAfter is { } after) ctx.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString();
                ctx.Response.StatusCode = self.OutageStatus;
                await ctx.Response.WriteAsync("{\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}");
                return;
            }
            var body = (await JsonNode.ParseAsync(ctx.Request.Body))!.AsObject();
            var model = body["model"]!.GetValue<string>();
            var system = new List<string>();
            var prompt = new List<string>();
            foreach (var m in body["messages"]!.AsArray())
            {
                var text = m!["content"] switch
                {
                    JsonValue v => v.GetValue<string>(),
                    JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
                    _ => "",
                };
                (m["role"]!.GetValue<string>() is "system" or "developer" ? system : prompt).Add(text);
            }
            var max = (body["max_completion_tokens"] ?? body["max_tokens"])?.GetValue<int>();
            if (self!.Latency > TimeSpan.Zero) await Task.Delay(self.Latency);
            var answer = script.Answer(string.Join("\n", system), string.Join("\n", prompt), model, max);
            var response = new JsonObject
            {
                ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N")[..29],
                ["object"] = "chat.completion",
                ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer.Text, ["refusal"] = null, ["annotations"] = new JsonArray() },
                    ["logprobs"] = null,
                    ["finish_reason"] = answer.FinishReason,
                }),
                ["usage"] = new JsonObject
                {
                    ["prompt_tokens"] = answer.PromptTokens,
                    ["completion_tokens"] = answer.CompletionTokens,
                    ["total_tokens"] = answer.PromptTokens + answer.CompletionTokens,
                    ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
                    ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0 },
                },
                ["service_tier"] = "default",
                ["system_fingerprint"] = null,
            };
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(response.ToJsonString());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeOpenAiServer(app, script, address.TrimEnd('/') + "/v1/");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
