using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Tests.Infrastructure;

namespace Autopack.Tests.Api;

[Trait("Category", "Db")]
public class EventsApiTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    /// <summary>Reads SSE frames (id, event) from a stream until <paramref name="count"/> events arrived.</summary>
    private static async Task<List<(long Id, string Event)>> ReadEventsAsync(StreamReader reader, int count, TimeSpan timeout)
    {
        var events = new List<(long, string)>();
        using var cts = new CancellationTokenSource(timeout);
        long id = 0;
        string? type = null;
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException();
            if (line.StartsWith("id: ")) id = long.Parse(line[4..]);
            else if (line.StartsWith("event: ")) type = line[7..];
            else if (line.Length == 0 && type is not null) { events.Add((id, type)); type = null; }
        }
        return events;
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Stream_replays_then_goes_live_and_resumes_after_last_event_id(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("ev"), Json);

        var request = new HttpRequestMessage(HttpMethod.Get, "/runs/ev/events");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var replay = await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10));
        Assert.Equal((1L, "run.created"), replay[0]);

        await http.PostAsJsonAsync("/approvals", new { run_id = "ev", reason = "live check" }, Json);
        var live = await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10));
        Assert.Equal((2L, "approval.requested"), live[0]);

        await http.PostAsync("/runs/ev/cancel", null); // phase.state ×2 (skipped) + run.state
        var resume = new HttpRequestMessage(HttpMethod.Get, "/runs/ev/events");
        resume.Headers.Add("Last-Event-ID", "2");
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        using var reader2 = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        var after = await ReadEventsAsync(reader2, 3, TimeSpan.FromSeconds(10));
        Assert.Equal([3L, 4L, 5L], after.Select(e => e.Id));
        Assert.Equal("run.state", after[^1].Event);
    }

    [Fact]
    public async Task The_last_event_id_query_resumes_after_it_and_the_header_wins_over_it()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("q"), Json);
        await http.PostAsync("/runs/q/cancel", null); // events 1 (run.created), 2-3 (phase.state), 4 (run.state)

        async Task<long> FirstIdAsync(string url, string? header)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (header is not null) request.Headers.Add("Last-Event-ID", header);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            return (await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10)))[0].Id;
        }

        Assert.Equal(3, await FirstIdAsync("/runs/q/events?last_event_id=2", null));
        Assert.Equal(4, await FirstIdAsync("/runs/q/events?last_event_id=1", "3"));
        Assert.Equal(1, await FirstIdAsync("/runs/q/events", null));
    }

    [Fact]
    public async Task On_postgres_a_new_event_arrives_at_once_not_on_the_next_poll()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        // A poll a minute apart: only the NOTIFY wake-up can bring the event within the deadline below.
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_SSE_POLL_MS"] = "60000" });
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("notify"), Json);
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runs/notify/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal((1L, "run.created"), (await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10)))[0]);
        await Task.Delay(500); // the feed's first poll is behind us

        await http.PostAsJsonAsync("/approvals", new { run_id = "notify", reason = "wake-up check" }, Json);
        var live = await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10));
        Assert.Equal((2L, "approval.requested"), live[0]);
    }

    [Fact]
    public async Task A_stalled_reader_after_a_burst_bigger_than_the_buffer_gets_every_event_once_and_in_order()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("burst"), Json);
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runs/burst/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal((1L, "run.created"), (await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10)))[0]);

        // The reader now stalls. 3,000 events of ~500 bytes: the response pipe fills after ~130 of them, so the stream's
        // 1,000-event buffer overflows and drops the oldest.
        const int burst = 3_000;
        var padding = new string('x', 450);
        await using (var ctx = db.CreateContext())
            for (var batch = 0; batch < burst / 500; batch++)
            {
                await using var tx = await ctx.Database.BeginTransactionAsync();
                for (var i = 0; i < 500; i++)
                    await Core.Events.RunEventWriter.AppendAsync(ctx, "burst", "usage", new { n = batch * 500 + i, padding });
                await ctx.SaveChangesAsync();
                await tx.CommitAsync();
            }
        // Stay stalled while the feed (50 ms polls of up to 500 events) fans the whole burst out into the buffer.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var rest = await ReadEventsAsync(reader, burst, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(2, burst).Select(i => (long)i), rest.Select(e => e.Id));
    }

    [Fact]
    public async Task Idle_streams_get_the_one_heartbeat_of_the_feed_and_then_the_next_event()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_SSE_HEARTBEAT_SECONDS"] = "1" });
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("idle"), Json);
        var readers = new List<StreamReader>();
        for (var i = 0; i < 2; i++)
        {
            var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runs/idle/events"), HttpCompletionOption.ResponseHeadersRead);
            readers.Add(new StreamReader(await response.Content.ReadAsStreamAsync()));
        }
        foreach (var reader in readers)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await reader.ReadLineAsync(cts.Token) is { } line && line != ": ping") { }
        }
        await http.PostAsJsonAsync("/approvals", new { run_id = "idle", reason = "after the pings" }, Json);
        foreach (var reader in readers)
            Assert.Equal((2L, "approval.requested"), (await ReadEventsAsync(reader, 1, TimeSpan.FromSeconds(10)))[0]);
    }

    [Fact]
    public async Task Streams_past_the_per_client_cap_get_429_and_stats_count_them()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_SSE_MAX_PER_CLIENT"] = "1" });
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("cap"), Json);
        using var first = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runs/cap/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var second = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runs/cap/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("sse_limit", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var stats = await http.GetFromJsonAsync<JsonElement>("/admin/sse/stats");
        Assert.Equal(1, stats.GetProperty("active").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/runs/missing/events")).StatusCode);
    }
}
