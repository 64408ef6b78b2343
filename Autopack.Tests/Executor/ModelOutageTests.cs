using Autopack.Core.Domain;
using Autopack.Executor.Models;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>The real loop and the real OpenAI client against <see cref="FakeOpenAiServer"/> answering 503.</summary>
[Trait("Category", "Db")]
public class ModelOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_model_outage_makes_the_phase_wait_naming_the_provider_and_until_when_then_resume_without_counting_an_attempt()
    {
        await using var fake = await FakeOpenAiServer.StartAsync(new ModelScript(r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix)));
        fake.OutageStatus = 503;
        fake.RetryAfter = TimeSpan.FromSeconds(1);
        var models = new ModelOptions
        {
            Providers = new Dictionary<string, ProviderConfig> { ["compat"] = new("compat", "openai", new Uri(fake.BaseUrl), null, TimeSpan.FromSeconds(10)) },
            Escalation = new Dictionary<Complexity, IReadOnlyList<EscalationStep>>
            {
                [Complexity.Low] = [EscalationStep.Parse("compat:cheap"), EscalationStep.Parse("compat:strong")],
                [Complexity.Medium] = [EscalationStep.Parse("compat:strong")],
                [Complexity.High] = [EscalationStep.Parse("compat:strong")],
            },
            RetryDelay = TimeSpan.FromMilliseconds(50),
            BreakDuration = TimeSpan.FromSeconds(3),
        };
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: _ => throw new InvalidOperationException("the real client is used"),
            models: models, chatClients: new ProviderChatClientFactory());
        await h.SeedAsync("run-outage", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();

        var waiting = await h.WaitForAsync(async ctx => await ctx.Phases.AsNoTracking()
            .SingleOrDefaultAsync(p => p.StatusReason != null && p.StatusReason.StartsWith("waiting: model unavailable")), what: "the phase waiting for the provider");
        Assert.Matches(@"^waiting: model unavailable: compat until \d\d:\d\d:\d\dZ \(HTTP 503\); retrying at \d\d:\d\d:\d\dZ$", waiting.StatusReason);
        Assert.Equal((PhaseState.Executing, 1), (waiting.State, waiting.Attempts)); // the attempt waits; it is not failed or released
        var refused = fake.Refused.ToList();
        Assert.Equal(3, refused.Count); // one call and two retries, then the circuit opened
        // Retry-After (1 s) was honoured rather than the 50 ms backoff.
        Assert.All(refused.Zip(refused.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(900), $"retried after {pair.Second - pair.First}"));

        await Task.Delay(1000);
        Assert.Equal(3, fake.Refused.Count); // the open circuit sends nothing while the phase waits
        fake.OutageStatus = 0; // the provider is back: the phase resumes by itself

        await h.WaitForRunAsync("run-outage", RunState.Complete, TimeSpan.FromSeconds(30));
        var phase = (await h.PhasesAsync("run-outage"))[0];
        Assert.Equal((1, (string?)null), (phase.Attempts, phase.StatusReason));
        var attempt = Assert.Single(await h.AttemptsAsync("run-outage", "P1"));
        Assert.Equal(("SUCCEEDED", "compat:cheap"), (attempt.Outcome, attempt.Model)); // no attempt counted, no escalation
        Assert.DoesNotContain(await h.EventsAsync("run-outage", "P1"), e => e.Type == "phase.state" && e.Payload.Contains("\"state\":\"FAILED\""));
        await PhaseEventSequence.AssertAsync(h, "run-outage", "model-outage");
    }
}
