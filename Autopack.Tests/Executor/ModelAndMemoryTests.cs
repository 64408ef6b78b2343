using Autopack.Core.Configuration;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Executor.Memory;
using Autopack.Executor.Models;
using Autopack.Executor.Prompts;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopack.Tests.Executor;

[Trait("Category", "Db")]
public class ModelAndMemoryTests
{
    [Fact]
    public async Task The_real_OpenAI_client_reads_usage_and_finish_reason_and_falls_back_to_the_next_provider_on_503()
    {
        await using var fake = await FakeOpenAiServer.StartAsync(new ModelScript(r =>
            new ScriptedAnswer("```diff\n...", PromptTokens: 321, CompletionTokens: 45, FinishReason: "length")));
        var failures = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var down = builder.Build();
        down.Run(ctx => { Interlocked.Increment(ref failures); ctx.Response.StatusCode = 503; return Task.CompletedTask; });
        await down.StartAsync();
        var downUrl = down.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1/";

        var options = new ModelOptions
        {
            Providers = new Dictionary<string, ProviderConfig>
            {
                ["primary"] = new("primary", "openai", new Uri(downUrl), "k", TimeSpan.FromSeconds(10)),
                ["backup"] = new("backup", "openai", new Uri(fake.BaseUrl), null, TimeSpan.FromSeconds(10)),
            },
            Escalation = new Dictionary<Complexity, IReadOnlyList<EscalationStep>> { [Complexity.Low] = [EscalationStep.Parse("primary:m1|backup:m2")] },
            RetryDelay = TimeSpan.FromMilliseconds(50),
        };
        var router = new ModelRouter(options, new ProviderChatClientFactory(), NullLogger<ModelRouter>.Instance);
        var result = await router.CallAsync(router.BuilderStep(Complexity.Low, 1),
            [new ChatMessage(ChatRole.System, PromptBuilder.BuilderSystem), new ChatMessage(ChatRole.User, "Autopack-Phase-Id: r/P1\nhello")],
            new ChatOptions { MaxOutputTokens = 777 }, default);

        Assert.Equal(3, failures); // Polly retried the transient 503 twice, then fell back
        Assert.Equal(("backup", "m2"), (result.Provider.Name, result.Model.Model));
        Assert.Equal((321, 45, true), (result.PromptTokens, result.CompletionTokens, result.Truncated));
        var request = Assert.Single(fake.Script.Requests);
        Assert.Equal(("builder", "m2", "P1", 777), (request.Role, request.Model, request.PhaseId, request.MaxOutputTokens));
    }

    [Fact]
    public void Model_options_come_from_the_environment_with_default_chains_and_named_providers_checked()
    {
        var settings = Settings(("OPENAI_API_KEY", "sk-test"), ("ANTHROPIC_API_KEY", "ak-test"));
        var options = ModelOptions.Load(Config(("AUTOPACK_OPENAI_COMPAT_URL", "http://127.0.0.1:11434/v1/"), ("AUTOPACK_OPENAI_COMPAT_MODEL", "qwen2.5-coder:7b"),
            ("AUTOPACK_ESCALATION_HIGH", "anthropic:claude-opus-4-1|openai:o3"), ("AUTOPACK_TIMEOUT_COMPAT_SECONDS", "300")), settings);
        Assert.Equal(["anthropic", "compat", "openai"], options.Providers.Keys.Order());
        Assert.Equal(TimeSpan.FromSeconds(300), options.Providers["compat"].Timeout);
        Assert.Equal("anthropic:claude-haiku-4-5|openai:gpt-4.1-mini|compat:qwen2.5-coder:7b", options.Escalation[Complexity.Low][0].ToString());
        Assert.Equal(3, options.Escalation[Complexity.Low].Count);
        Assert.Equal("anthropic:claude-opus-4-1|openai:o3", Assert.Single(options.Escalation[Complexity.High]).ToString());
        Assert.Equal(new Uri(ModelOptions.GeminiOpenAiEndpoint),
            ModelOptions.Load(Config(), Settings(("GOOGLE_API_KEY", "g"))).Providers["gemini"].BaseUrl);

        var ex = Assert.Throws<InvalidOperationException>(() => ModelOptions.Load(Config(("AUTOPACK_ESCALATION_LOW", "ollama:llama3")), settings));
        Assert.Contains("ollama:llama3", ex.Message);
        Assert.False(ModelOptions.Load(Config(), Settings()).Any);
    }

    [Fact]
    public void Wrong_model_variables_stop_the_executor_each_named_instead_of_falling_back_to_the_defaults()
    {
        var settings = Settings(("OPENAI_API_KEY", "sk-test"));
        var ex = Assert.Throws<InvalidOperationException>(() => ModelOptions.Load(Config(("AUTOPACK_MODEL_RETRIES", "0"),
            ("AUTOPACK_TIMEOUT_OPENAI_SECONDS", "-5"), ("OPENAI_BASE_URL", "not a url"), ("AUTOPACK_MODEL_BREAK_SECONDS", "")), settings));
        Assert.Contains("AUTOPACK_MODEL_RETRIES='0' must be an integer ≥ 1.", ex.Message);
        Assert.Contains("AUTOPACK_TIMEOUT_OPENAI_SECONDS='-5' must be an integer ≥ 1.", ex.Message);
        Assert.Contains("OPENAI_BASE_URL='not a url' is not an absolute URL.", ex.Message);
        Assert.DoesNotContain("BREAK", ex.Message); // empty is unset: the default

        var notANumber = Assert.Throws<InvalidOperationException>(() => ModelOptions.Load(Config(("AUTOPACK_MODEL_RETRIES", "two")), settings));
        Assert.Contains("AUTOPACK_MODEL_RETRIES", notANumber.Message);

        var defaults = ModelOptions.Load(Config(("AUTOPACK_MODEL_BREAK_SECONDS", "")), settings);
        Assert.Equal((2, TimeSpan.FromSeconds(30), ModelOptions.DefaultTimeout), (defaults.Retries, defaults.BreakDuration, defaults.Providers["openai"].Timeout));
    }

    [Theory]
    [InlineData("VERDICT: APPROVE\nfine", Verdict.Approve, true)]
    [InlineData("**VERDICT: ESCALATE** risky", Verdict.Escalate, true)]
    [InlineData("Some thoughts\nVERDICT: reject.", Verdict.Reject, true)]
    [InlineData("Looks good to me", Verdict.Reject, false)]
    public void Auditor_verdicts_are_parsed_strictly_and_a_missing_verdict_rejects(string answer, Verdict expected, bool parsed)
    {
        var v = AuditorVerdict.Parse(answer);
        Assert.Equal((expected, parsed), (v.Verdict, v.Parsed));
    }

    [Fact]
    public async Task The_hashing_embedder_is_deterministic_normalized_and_the_embedded_index_ranks_by_cosine()
    {
        var embedder = new HashingEmbedder();
        var a = embedder.Embed("CI_FAILED: expected 'Hello, Autopack', got 'Hello, World'");
        Assert.Equal(a, embedder.Embed("CI_FAILED: expected 'Hello, Autopack', got 'Hello, World'"));
        Assert.Equal(1.0, Math.Sqrt(a.Sum(x => (double)x * x)), 5);

        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var services = new ServiceCollection().AddAutopackData(db.Connection).BuildServiceProvider();
        var store = new EmbeddedMemoryStore(services.GetRequiredService<Autopack.Core.Data.IAutopackDbFactory>(), "mem");
        await store.StoreAsync("summary", "Phase docs: wrote the README introduction", "r", "P0", embedder.Embed("Phase docs: wrote the README introduction"), default);
        await store.StoreAsync("error", "CI_FAILED expected Hello Autopack got Hello World in greet.sh", "r", "P1", embedder.Embed("CI_FAILED expected Hello Autopack got Hello World in greet.sh"), default);
        var hits = await store.SearchAsync(embedder.Embed("greet.sh test fails: expected Hello Autopack"), 2, null, default);
        Assert.Equal("error", hits[0].Kind);
        Assert.True(hits[0].Score > hits[1].Score);
    }

    [Fact]
    public async Task Errors_are_remembered_and_recalled_into_the_next_builder_prompt_unless_memory_is_off()
    {
        foreach (var enabled in new[] { true, false })
        {
            await using var h = await ExecutorHarness.CreateAsync(r => r switch
            {
                { Role: "auditor" } => ModelScript.Approve,
                { Model: "cheap" } => new ScriptedAnswer(ModelScript.Diff("greet.sh", "echo \"Hello, World\"", "echo \"Hello, Autopac\"")),
                _ => new ScriptedAnswer(ModelScript.GreetFix),
            }, tune: o => o with { MemoryEnabled = enabled });
            await h.SeedAsync("run-mem", new RunSeeder.PhaseSpec("P1", "T1", ["greet.sh"], Description: "Greet Autopack"));
            h.Start();
            await h.WaitForRunAsync("run-mem", RunState.Complete);
            var second = h.Script.For("builder")[1].Prompt;
            await using var ctx = h.Context();
            var kinds = ctx.MemoryEntries.Select(m => m.Kind).OrderBy(k => k).ToList();
            if (enabled)
            {
                Assert.Contains("Lessons from memory", second);
                Assert.Contains("[error] Phase 'P1'", second);
                Assert.Equal(["error", "fix", "summary"], kinds);
            }
            else
            {
                Assert.DoesNotContain("Lessons from memory", second);
                Assert.Empty(kinds);
            }
        }
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static AutopackSettings Settings(params (string Key, string Value)[] secrets) => new()
    {
        Component = "executor", IsProduction = false, StateRoot = "/tmp", Database = DatabaseConnection.Parse("sqlite:///x.db", "/tmp"), Qdrant = null,
        Secrets = secrets.ToDictionary(s => s.Key, s => s.Value), Warnings = [], Bootstrap = false, Version = "t",
    };
}

/// <summary>The official Anthropic SDK's IChatClient against a loopback Messages API answering with a recorded response shape.</summary>
[Trait("Category", "Db")]
public class AnthropicClientTests
{
    [Fact]
    public async Task The_Anthropic_provider_speaks_the_Messages_API_and_reports_usage()
    {
        string? apiKey = null, version = null;
        System.Text.Json.Nodes.JsonNode? body = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/v1/messages", async (HttpContext ctx) =>
        {
            // This SDK version sends the key as a bearer token (older ones used x-api-key): accept either.
            apiKey = ctx.Request.Headers["x-api-key"].FirstOrDefault() ?? ctx.Request.Headers.Authorization.FirstOrDefault()?.Replace("Bearer ", "");
            version = ctx.Request.Headers["anthropic-version"];
            body = await System.Text.Json.Nodes.JsonNode.ParseAsync(ctx.Request.Body);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""
                {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
                 "content":[{"type":"text","text":"VERDICT: APPROVE\nfine"}],"stop_reason":"end_turn","stop_sequence":null,
                 "usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
                """);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var provider = new ProviderConfig("anthropic", "anthropic", new Uri(url), "ak-test", TimeSpan.FromSeconds(10));
        var client = new ProviderChatClientFactory().Create(provider, "claude-sonnet-4-5");
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, PromptBuilder.AuditorSystem), new ChatMessage(ChatRole.User, "review this")],
            new ChatOptions { MaxOutputTokens = 1234 });

        Assert.Equal("ak-test", apiKey);
        Assert.False(string.IsNullOrEmpty(version));
        Assert.Equal(("claude-sonnet-4-5", 1234), (body!["model"]!.GetValue<string>(), body["max_tokens"]!.GetValue<int>()));
        Assert.Contains("ROLE: auditor", body["system"]!.ToJsonString());
        Assert.Equal(Verdict.Approve, AuditorVerdict.Parse(response.Text).Verdict);
        Assert.Equal((2095L, 503L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount));
    }
}
