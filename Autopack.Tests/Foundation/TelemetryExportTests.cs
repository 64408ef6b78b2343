using System.Collections.Concurrent;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Autopack.Tests.Foundation;

/// <summary>The OTLP exporter is wired only when OTEL_EXPORTER_OTLP_ENDPOINT is set, as in the Aspire template.</summary>
[Trait("Category", "Process")]
public class TelemetryExportTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Otlp_export_happens_only_when_the_endpoint_is_configured(bool configured)
    {
        var received = new ConcurrentBag<string>();
        var collectorPort = LocalPostgres.FreePort();
        var collector = WebApplication.CreateSlimBuilder();
        collector.WebHost.UseUrls($"http://127.0.0.1:{collectorPort}");
        await using var app = collector.Build();
        app.MapPost("/v1/{signal}", (string signal) => { received.Add(signal); return Results.Ok(); });
        await app.StartAsync();

        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var apiPort = LocalPostgres.FreePort();
        var env = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.Url, ["AUTOPACK_STATE_DIR"] = db.StateRoot, ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{apiPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf", ["OTEL_BSP_SCHEDULE_DELAY"] = "200", ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
        };
        if (configured) env["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collectorPort}";
        await using var api = ServiceProcess.Start("Autopack.Api", env);
        Assert.True(await api.WaitForOutputAsync("Now listening", TimeSpan.FromSeconds(60)), api.Output);

        using var http = new HttpClient();
        async Task<string[]> ServeAndSeeAsync()
        {
            try { await http.GetAsync($"http://127.0.0.1:{apiPort}/api/version"); } catch (HttpRequestException) { }
            return [.. received];
        }
        if (configured)
        {
            await Eventually.UntilAsync("traces and logs exported", ServeAndSeeAsync, seen => seen.Contains("traces") && seen.Contains("logs"),
                TimeSpan.FromSeconds(45), describe: seen => $"signals [{string.Join(", ", seen.Distinct())}]", interval: TimeSpan.FromMilliseconds(250));
        }
        else
        {
            // Absence has no moment to wait for: serve requests for 20 export periods (200 ms each), then nothing may have arrived.
            for (var i = 0; i < 16; i++) { await ServeAndSeeAsync(); await Task.Delay(250); }
            Assert.Empty(received);
        }
    }
}
