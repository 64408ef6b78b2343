using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Api;

[Trait("Category", "Db")]
public class RunsApiTests
{
    private static readonly JsonSerializerOptions Json = ApiFactory.Json;

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Create_list_detail_progress_and_cancel(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = await api.AsRoleAsync("operator");

        var created = await http.PostAsJsonAsync("/runs", RunPlans.Simple("run-a", phases: 3), Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/runs/run-a", created.Headers.Location?.ToString());
        var run = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("QUEUED", run.GetProperty("state").GetString());
        Assert.Equal(3, run.GetProperty("phases").GetArrayLength());
        Assert.Equal("src/file2.txt", run.GetProperty("phases")[1].GetProperty("scope").GetProperty("paths")[0].GetString());
        Assert.EndsWith("Z", run.GetProperty("created_at").GetString());

        await http.PostAsJsonAsync("/runs", RunPlans.Simple("run-b"), Json);
        var list = await http.GetFromJsonAsync<JsonElement>("/runs?page_size=1");
        Assert.Equal(2, list.GetProperty("total").GetInt32());
        Assert.Equal("run-b", list.GetProperty("items")[0].GetProperty("run_id").GetString()); // newest first
        var page2 = await http.GetFromJsonAsync<JsonElement>("/runs?page_size=1&page=2");
        Assert.Equal("run-a", page2.GetProperty("items")[0].GetProperty("run_id").GetString());

        var progress = await http.GetFromJsonAsync<JsonElement>("/runs/run-a/progress");
        Assert.Equal(3, progress.GetProperty("total").GetInt32());
        Assert.Equal(3, progress.GetProperty("queued").GetInt32());

        var cancelled = await http.PostAsync("/runs/run-a/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var after = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("CANCELLED", after.GetProperty("state").GetString());
        Assert.All(after.GetProperty("phases").EnumerateArray(), p => Assert.Equal("SKIPPED", p.GetProperty("state").GetString()));
        var filtered = await http.GetFromJsonAsync<JsonElement>("/runs?state=CANCELLED");
        Assert.Equal(1, filtered.GetProperty("total").GetInt32());

        var again = await http.PostAsync("/runs/run-a/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        await using var ctx = db.CreateContext();
        Assert.Contains(await ctx.RunEvents.Where(e => e.RunId == "run-a").Select(e => e.Type).ToListAsync(), t => t == "run.created");
        Assert.True(await ctx.OutboxMessages.AnyAsync(m => m.Type == "run.cancelled" && m.RunId == "run-a"));
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Duplicate_run_id_is_409_and_changes_nothing(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/runs", RunPlans.Simple("dup"), Json)).StatusCode);
        var second = await http.PostAsJsonAsync("/runs", RunPlans.Simple("dup", phases: 5), Json);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("run_exists", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("request_id").GetString()));
        await using var ctx = db.CreateContext();
        Assert.Equal(2, await ctx.Phases.CountAsync());
    }

    private static HttpRequestMessage CreateWithKey(object plan, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = JsonContent.Create(plan, options: Json) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task A_burst_with_one_idempotency_key_makes_one_run_and_every_answer_is_the_first_or_in_flight(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            var response = await api.Admin().SendAsync(CreateWithKey(RunPlans.Simple(), "burst-key-1"));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter);
        }));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created.Select(r => r.Body).Distinct()); // replays are the first response, byte for byte
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Contains("idempotency_key_in_flight", r.Body);
            Assert.NotNull(r.RetryAfter);
        });
        var retry = await api.Admin().SendAsync(CreateWithKey(RunPlans.Simple(), "burst-key-1"));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(created[0].Body, await retry.Content.ReadAsStringAsync());
        Assert.Equal(created[0].Body.Split('"')[3], retry.Headers.Location!.ToString().Split('/')[^1]);
        await using var ctx = db.CreateContext();
        Assert.Equal(1, await ctx.Runs.CountAsync());
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task An_idempotency_key_reused_with_another_body_is_422_and_stores_nothing(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(CreateWithKey(RunPlans.Simple("first"), "key-2"))).StatusCode);
        var reused = await http.SendAsync(CreateWithKey(RunPlans.Simple("second", phases: 3), "key-2"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("idempotency_key_reused", (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        await using var ctx = db.CreateContext();
        Assert.Equal(["first"], await ctx.Runs.Select(r => r.Id).ToListAsync());
        Assert.Equal(2, await ctx.Phases.CountAsync());
    }

    [Fact]
    public async Task A_key_held_by_a_live_request_is_409_and_one_left_by_a_crashed_request_is_taken_over()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        var plan = RunPlans.Simple("after-crash");
        var fingerprint = Autopack.Api.Services.IdempotencyKeys.Fingerprint(
            JsonSerializer.Deserialize<Autopack.Api.Apis.CreateRunRequest>(JsonSerializer.Serialize(plan, Json), Json), Json);
        await using (var ctx = db.CreateContext())
        {
            // What a request in flight leaves, and what a process killed mid-request leaves once its lease lapsed.
            ctx.IdempotencyRecords.Add(new IdempotencyRecord { Key = "live", Fingerprint = fingerprint, CreatedAt = DateTime.UtcNow, LockedUntil = DateTime.UtcNow.AddMinutes(1) });
            ctx.IdempotencyRecords.Add(new IdempotencyRecord { Key = "crashed", Fingerprint = fingerprint, CreatedAt = DateTime.UtcNow.AddMinutes(-2), LockedUntil = DateTime.UtcNow.AddMinutes(-1) });
            await ctx.SaveChangesAsync();
        }
        var live = await http.SendAsync(CreateWithKey(plan, "live"));
        Assert.Equal(HttpStatusCode.Conflict, live.StatusCode);
        Assert.Equal("idempotency_key_in_flight", (await live.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.True(live.Headers.RetryAfter?.Delta > TimeSpan.FromSeconds(30));

        var takenOver = await http.SendAsync(CreateWithKey(plan, "crashed"));
        Assert.Equal(HttpStatusCode.Created, takenOver.StatusCode);
        await using (var ctx = db.CreateContext())
            Assert.Equal(201, (await ctx.IdempotencyRecords.SingleAsync(r => r.Key == "crashed")).ResponseStatus);

        // A request that ends without a result (the run id is taken) frees its key for the next try.
        var taken = await http.SendAsync(CreateWithKey(RunPlans.Simple("after-crash"), "fresh"));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("run_exists", (await taken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        await using (var ctx = db.CreateContext())
            Assert.False(await ctx.IdempotencyRecords.AnyAsync(r => r.Key == "fresh"));
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task An_idempotency_key_past_its_time_is_forgotten_by_the_sweep_and_is_new_again_while_a_running_one_is_kept(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using (var first = new ApiFactory(db))
        {
            Assert.Equal(HttpStatusCode.Created, (await first.Admin().SendAsync(CreateWithKey(RunPlans.Simple("day-old"), "old-key"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await first.Admin().SendAsync(CreateWithKey(RunPlans.Simple("recent"), "recent-key"))).StatusCode);
        }
        await using (var ctx = db.CreateContext())
        {
            var dayAgo = DateTime.UtcNow.AddHours(-25);
            await ctx.IdempotencyRecords.Where(r => r.Key == "old-key").ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, dayAgo));
            // Old, but its request could still be running (a lease in the future): the sweep must not free it under that request.
            ctx.IdempotencyRecords.Add(new IdempotencyRecord { Key = "old-in-flight", Fingerprint = "f", CreatedAt = dayAgo, LockedUntil = DateTime.UtcNow.AddMinutes(5) });
            await ctx.SaveChangesAsync();
        }

        // A replica sweeps when it starts (the default time is 24 h), then every few minutes.
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var ctx = db.CreateContext();
            if (!await ctx.IdempotencyRecords.AnyAsync(r => r.Key == "old-key")) break;
            Assert.True(DateTime.UtcNow < deadline, "the day-old key was not forgotten");
            await Task.Delay(100);
        }
        await using (var ctx = db.CreateContext())
        {
            Assert.Equal(["old-in-flight", "recent-key"], await ctx.IdempotencyRecords.Select(r => r.Key).OrderBy(k => k).ToListAsync());
            Assert.Null((await ctx.Runs.SingleAsync(r => r.Id == "day-old")).IdempotencyKey);
            Assert.Equal("recent-key", (await ctx.Runs.SingleAsync(r => r.Id == "recent")).IdempotencyKey);
        }

        // The forgotten key is new: another body under it creates a run instead of 422; the recent one still refuses it.
        var again = await http.SendAsync(CreateWithKey(RunPlans.Simple("next-day"), "old-key"));
        Assert.True(again.StatusCode == HttpStatusCode.Created, await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await http.SendAsync(CreateWithKey(RunPlans.Simple("other"), "recent-key"))).StatusCode);
    }

    public static TheoryData<string, string, string> InvalidPlans() => new()
    {
        { "duplicate phase ids", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"},{"phase_id":"P1","tier_id":"T1"}]}""", "phases[1].phase_id" },
        { "duplicate tier ids", """{"tiers":[{"tier_id":"T1"},{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "tiers[1].tier_id" },
        { "unknown tier", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T2"}]}""", "phases[0].tier_id" },
        { "token cap below minimum", """{"token_cap":5,"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "token_cap" },
        { "max phases zero", """{"max_phases":0,"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "max_phases" },
        { "more phases than max", """{"max_phases":1,"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"},{"phase_id":"P2","tier_id":"T1"}]}""", "phases" },
        { "absolute scope path", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1","scope":{"paths":["/etc/passwd"]}}]}""", "phases[0].scope.paths" },
        { "escaping scope path", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1","scope":{"paths":["src/../../x"]}}]}""", "phases[0].scope.paths" },
        { "git scope path", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1","scope":{"paths":[".git/config"]}}]}""", "phases[0].scope.paths" },
        { "bad complexity", """{"tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1","complexity":"extreme"}]}""", "phases[0].complexity" },
        { "relative repo path", """{"repo_path":"srv/x","tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "repo_path" },
        { "repo path climbing out", """{"repo_path":"/srv/x/../../etc","tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "repo_path" },
        { "bad run id", """{"run_id":"../x","tiers":[{"tier_id":"T1"}],"phases":[{"phase_id":"P1","tier_id":"T1"}]}""", "run_id" },
    };

    [Theory]
    [MemberData(nameof(InvalidPlans))]
    public async Task Inconsistent_plans_are_422_with_the_field_and_store_nothing(string why, string body, string field)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var response = await api.Admin().PostAsync("/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(HttpStatusCode.UnprocessableEntity == response.StatusCode, why);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {problem}");
        await using var ctx = db.CreateContext();
        Assert.Equal(0, await ctx.Runs.CountAsync());
        Assert.Equal(0, await ctx.OutboxMessages.CountAsync());
    }

    [Fact]
    public async Task With_repo_roots_set_a_repo_path_outside_them_is_422_and_one_inside_is_stored_normalized()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db, new Dictionary<string, string?> { ["AUTOPACK_REPO_ROOTS"] = "/srv/repos, /home/ci/work/" });
        var http = api.Admin();
        foreach (var outside in new[] { "/etc", "/srv/repos-evil/x", "/srv", "/home/ci" })
        {
            var refused = await http.PostAsJsonAsync("/runs", RunPlans.Simple(repoPath: outside), Json);
            Assert.True(HttpStatusCode.UnprocessableEntity == refused.StatusCode, outside);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("AUTOPACK_REPO_ROOTS", problem.GetProperty("errors").GetProperty("repo_path")[0].GetString());
        }
        var created = await http.PostAsJsonAsync("/runs", RunPlans.Simple("inside", repoPath: "/srv/repos//team/./app/"), Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/srv/repos/team/app", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("repo_path").GetString());
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/runs", RunPlans.Simple("root-itself", repoPath: "/home/ci/work"), Json)).StatusCode);
        await using var ctx = db.CreateContext();
        Assert.Equal(2, await ctx.Runs.CountAsync());
    }

    [Theory]
    [InlineData("{not json", "malformed_json")]
    [InlineData("""{"tiers":[{"tier_id":1}],"phases":"x"}""", "malformed_json")]
    [InlineData("""{"tiers":[],"phases":[]}""", "validation_failed")]
    [InlineData("""{"tiers":[{"name":"no id"}],"phases":[{"phase_id":"P1"}]}""", "validation_failed")]
    public async Task Malformed_or_incomplete_bodies_are_400(string body, string code)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var response = await api.Admin().PostAsync("/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.DoesNotContain("   at ", problem.ToString()); // no stack trace
    }

    [Theory]
    [InlineData(TestDatabase.Postgres)]
    [InlineData(TestDatabase.Sqlite)]
    public async Task Retry_moves_a_failed_phase_back_to_the_queue_and_refuses_illegal_moves_with_the_allowed_list(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("r1"), Json);

        var illegal = await http.PostAsync("/runs/r1/phases/P1/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, illegal.StatusCode);
        var problem = await illegal.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("illegal_transition", problem.GetProperty("code").GetString());
        Assert.Equal(["EXECUTING", "SKIPPED"], problem.GetProperty("allowed").EnumerateArray().Select(a => a.GetString()!).ToArray());

        await using (var ctx = db.CreateContext())
        {
            var phase = await ctx.Phases.SingleAsync(p => p.RunId == "r1" && p.PhaseId == "P1");
            phase.State = PhaseState.Failed;
            phase.Attempts = 5;
            phase.FailureReason = "MAX_ATTEMPTS";
            var run = await ctx.Runs.SingleAsync(r => r.Id == "r1");
            run.State = RunState.Failed;
            await ctx.SaveChangesAsync();
        }
        var retried = await http.PostAsync("/runs/r1/phases/P1/retry", null);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var detail = await retried.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("RUNNING", detail.GetProperty("state").GetString());
        var p1 = detail.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("phase_id").GetString() == "P1");
        Assert.Equal("QUEUED", p1.GetProperty("state").GetString());
        Assert.Equal(0, p1.GetProperty("attempts").GetInt32());

        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/runs/r1/phases/NOPE/retry", null)).StatusCode);
    }

    [Fact]
    public async Task Resume_raises_the_cap_of_a_paused_run_only()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("p1"), Json);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("/runs/p1/resume", new { token_cap = 9_000_000 }, Json)).StatusCode);
        await using (var ctx = db.CreateContext())
        {
            var run = await ctx.Runs.SingleAsync();
            run.State = RunState.Paused;
            run.TokensUsed = 4_800_000;
            run.PauseReason = "token budget";
            await ctx.SaveChangesAsync();
        }
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("/runs/p1/resume", new { token_cap = 5_000_000 }, Json)).StatusCode);
        var resumed = await http.PostAsJsonAsync("/runs/p1/resume", new { token_cap = 9_000_000 }, Json);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var body = await resumed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("RUNNING", body.GetProperty("state").GetString());
        Assert.Equal(9_000_000, body.GetProperty("token_cap").GetInt64());
    }

    [Fact]
    public async Task Phase_detail_and_usage_report_attempts_and_tokens_per_model()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        var http = api.Admin();
        await http.PostAsJsonAsync("/runs", RunPlans.Simple("u1"), Json);
        await using (var ctx = db.CreateContext())
        {
            ctx.PhaseAttempts.Add(new PhaseAttempt { RunId = "u1", PhaseId = "P1", Number = 1, Model = "gpt-x", Outcome = "FAILED", FailureReason = "CI_FAILED", Diff = "--- a\n+++ b", TestOutput = "boom" });
            ctx.LlmUsageEvents.Add(new LlmUsageEvent { RunId = "u1", PhaseId = "P1", Provider = "openai", Model = "gpt-x", Role = "builder", PromptTokens = 100, CompletionTokens = 20 });
            ctx.LlmUsageEvents.Add(new LlmUsageEvent { RunId = "u1", PhaseId = "P1", Provider = "openai", Model = "gpt-x", Role = "builder", PromptTokens = 50, CompletionTokens = 5 });
            await ctx.SaveChangesAsync();
        }
        var phase = await http.GetFromJsonAsync<JsonElement>("/runs/u1/phases/P1");
        Assert.Equal("boom", phase.GetProperty("attempts_detail")[0].GetProperty("test_output").GetString());
        var usage = await http.GetFromJsonAsync<JsonElement>("/runs/u1/usage");
        Assert.Equal(175, usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("by_model")[0].GetProperty("calls").GetInt32());
        Assert.Equal(2, usage.GetProperty("timeline").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/runs/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/runs/nope/usage")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/runs?state=BOGUS")).StatusCode);
    }
}
