using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Sandbox;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace Autopack.Tests.Executor;

/// <summary>
/// The run plan's network opt-in (<c>"sandbox": {"network": true}</c>), end to end: the plan goes through the real API
/// into the database, and the real executor loop runs the phase's test command under real bubblewrap. Without the
/// opt-in the same connection is refused (<see cref="HostileCodeTests.A_tcp_connection_to_a_port_the_test_listens_on_fails"/>).
/// </summary>
public class SandboxNetworkTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_phase_whose_plan_allows_the_network_reaches_a_port_the_test_listens_on_and_its_tests_event_says_why()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();
        var patch = ModelScript.Diff("greet.sh", "echo \"Hello, World\"", $"bash -c 'echo hi > /dev/tcp/127.0.0.1/{port}'");
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(patch),
            // Required: a machine without bubblewrap fails this test instead of passing it with the host's network.
            tune: o => o with { Sandbox = new SandboxOptions { Mode = SandboxMode.Required } });
        await CreateRunAsync(h, "net", phaseSandbox: new { network = true });
        h.Start();

        await h.WaitForRunAsync("net", RunState.Complete, TimeSpan.FromSeconds(60));
        Assert.True(accepted.IsCompleted, "the test command did not reach the listener");
        var tests = Assert.Single(await h.EventsAsync("net", "P1"), e => e.Type == "phase.tests");
        using var payload = JsonDocument.Parse(tests.Payload);
        Assert.True(payload.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal("allowed by run plan", payload.RootElement.GetProperty("network").GetString());
    }

    [Fact]
    public async Task An_executor_that_denies_the_network_refuses_a_phase_whose_plan_allows_it_before_any_model_call()
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix),
            tune: o => o with { Sandbox = new SandboxOptions { Mode = SandboxMode.Required, Network = SandboxNetworkPolicy.Deny } });
        await CreateRunAsync(h, "wants-net", runSandbox: new { network = true });
        h.Start();

        await h.WaitForRunAsync("wants-net", RunState.Failed, TimeSpan.FromSeconds(60));
        var phase = Assert.Single(await h.PhasesAsync("wants-net"));
        Assert.Equal((PhaseState.Failed, "SANDBOX_NETWORK_DENIED"), (phase.State, phase.FailureReason));
        Assert.Empty(h.Script.Requests); // refused before a token was spent, not run without the network it asked for
        Assert.Empty(await h.AttemptsAsync("wants-net", "P1"));
        Assert.Contains(await h.EventsAsync("wants-net", "P1"), e => e.Payload.Contains("AUTOPACK_SANDBOX_NETWORK=deny"));

        // The same executor works a plan that does not ask for the network.
        await CreateRunAsync(h, "no-net");
        await h.WaitForRunAsync("no-net", RunState.Complete, TimeSpan.FromSeconds(60));
        var tests = Assert.Single(await h.EventsAsync("no-net", "P1"), e => e.Type == "phase.tests");
        Assert.Contains("\"network\":\"none\"", tests.Payload.Replace(" ", ""));
    }

    [Theory]
    [InlineData(null, SandboxNetworkPolicy.OptIn)]
    [InlineData("opt-in", SandboxNetworkPolicy.OptIn)]
    [InlineData("deny", SandboxNetworkPolicy.Deny)]
    [InlineData("0", SandboxNetworkPolicy.Deny)]
    [InlineData("DENY", SandboxNetworkPolicy.Deny)]
    [InlineData("all", SandboxNetworkPolicy.All)]
    [InlineData("1", SandboxNetworkPolicy.All)]
    public void The_network_policy_is_read_from_AUTOPACK_SANDBOX_NETWORK(string? value, SandboxNetworkPolicy expected)
    {
        var options = ExecutorServiceExtensions.ReadOptions(Config(value), Path.GetTempPath(), isProduction: false);
        Assert.Equal(expected, options.Sandbox.Network);
    }

    [Fact]
    public void An_unknown_network_policy_stops_the_executor_naming_the_variable_and_the_values()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ExecutorServiceExtensions.ReadOptions(Config("sometimes"), Path.GetTempPath(), isProduction: false));
        Assert.EndsWith(Environment.NewLine + " - AUTOPACK_SANDBOX_NETWORK='sometimes' must be opt-in, deny or all.", ex.Message);
    }

    private static IConfiguration Config(string? network) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AUTOPACK_SANDBOX_NETWORK"] = network }).Build();

    /// <summary>A one-phase run (greet.sh, <c>sh greet.sh</c>, one attempt) created through the real API on the harness's database.</summary>
    private static async Task CreateRunAsync(ExecutorHarness h, string runId, object? runSandbox = null, object? phaseSandbox = null)
    {
        var phase = new Dictionary<string, object?>
        {
            ["phase_id"] = "P1", ["tier_id"] = "T1", ["name"] = "Greeting", ["complexity"] = "low",
            ["scope"] = new { paths = new[] { "greet.sh" } }, ["test_command"] = "sh greet.sh", ["max_attempts"] = 1,
        };
        if (phaseSandbox is not null) phase["sandbox"] = phaseSandbox;
        var plan = new Dictionary<string, object?>
        {
            ["run_id"] = runId, ["repo_path"] = h.Repo.Path, ["tiers"] = new[] { new { tier_id = "T1" } }, ["phases"] = new[] { phase },
        };
        if (runSandbox is not null) plan["sandbox"] = runSandbox;
        await using var api = new ApiFactory(h.Db);
        var created = await api.Admin().PostAsJsonAsync("/runs", plan, ApiFactory.Json);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }
}
