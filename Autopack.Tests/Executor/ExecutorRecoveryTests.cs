using System.Text.Json;
using Autopack.Core.Domain;
using Autopack.Core.Outbox;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using static Autopack.Tests.Infrastructure.RunSeeder;

namespace Autopack.Tests.Executor;

/// <summary>
/// Recovery paths of the real loop: a target that cannot be worked in fails once; any executor error requeues with
/// backoff and gives up after a bounded number, with the cause stored; the run's event count stays bounded.
/// </summary>
[Trait("Category", "Db")]
public class ExecutorRecoveryTests(ITestOutputHelper output)
{
    private static readonly BackoffPolicy FastBackoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), 0.2);

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("dotdot", "is not a git repository")]
    [InlineData("plain-folder", "is not a git repository")]
    [InlineData("subfolder", "is not its top level")]
    [InlineData("relative", "is not an absolute path")]
    public async Task A_repo_path_that_cannot_be_worked_in_fails_the_phase_once_with_NO_REPOSITORY(string kind, string expected)
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: _ => throw new InvalidOperationException("no model call"));
        var plain = Directory.CreateTempSubdirectory("autopack-plain-").FullName;
        var repoPath = kind switch
        {
            "missing" => "/srv/tpyo",
            "dotdot" => h.Repo.Path + "/../../etc",
            "plain-folder" => plain,
            "subfolder" => Path.Combine(h.Repo.Path, "notes"),
            _ => "srv/repo",
        };
        await using (var ctx = h.Context())
            await RunSeeder.SeedAsync(ctx, "run-repo", repoPath, [new PhaseSpec("P1", "T1", ["greet.sh"]), new PhaseSpec("P2", "T2", ["notes/todo.txt"])]);
        h.Start();

        var run = await h.WaitForRunAsync("run-repo", RunState.Failed);
        Assert.Contains("NO_REPOSITORY", run.FailureReason);
        await Task.Delay(1000); // a loop would show here: nothing more may happen
        var phases = await h.PhasesAsync("run-repo");
        var failed = Assert.Single(phases, p => p.State == PhaseState.Failed);
        Assert.Equal(("NO_REPOSITORY", 0), (failed.FailureReason, failed.Attempts));
        var events = await h.EventsAsync("run-repo", failed.PhaseId);
        Assert.Equal(["phase.state", "phase.state"], events.Select(e => e.Type)); // claimed, failed: once
        Assert.Contains(expected, JsonDocument.Parse(events[^1].Payload).RootElement.GetProperty("note").GetString());
        Assert.Empty(h.Script.Requests);
        await PhaseEventSequence.AssertAsync(h, "run-repo", "no-repository");
        Directory.Delete(plain);
    }

    public enum Injection { WorktreeFolderBlocked, DatabaseErrorMidAttempt, ModelClientException }

    [Theory]
    [InlineData(Injection.WorktreeFolderBlocked, "already exists")]
    [InlineData(Injection.DatabaseErrorMidAttempt, "relation \"llm_usage_events\" does not exist")]
    [InlineData(Injection.ModelClientException, "scripted model client failure")]
    public async Task An_executor_error_requeues_with_backoff_and_fails_the_phase_after_a_bounded_number_with_the_cause(Injection injection, string cause)
    {
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r => injection == Injection.ModelClientException
                ? throw new InvalidOperationException("scripted model client failure")
                : r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix),
            tune: o => o with { ErrorBackoff = FastBackoff });
        // The executor's own error logs, and EF Core's for the failing command.
        h.ExpectedErrors = e => e.Message.Contains("executor") || e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal);
        await h.SeedAsync("run-inject", new PhaseSpec("P1", "T1", ["greet.sh"]));
        switch (injection)
        {
            case Injection.WorktreeFolderBlocked:
                // A file where the run's worktree folder must go: every `worktree add` fails.
                Directory.CreateDirectory(h.Options.WorktreeRoot);
                await File.WriteAllTextAsync(Path.Combine(h.Options.WorktreeRoot, "run-inject"), "autopack-blocked");
                break;
            case Injection.DatabaseErrorMidAttempt:
                // The usage write after the builder's answer fails (a DbUpdateException whose own message says nothing).
                await using (var ctx = h.Context())
                    await ctx.Database.ExecuteSqlRawAsync("ALTER TABLE llm_usage_events RENAME TO llm_usage_events_gone");
                break;
        }
        h.Start();

        var run = await h.WaitForRunAsync("run-inject", RunState.Failed);
        await Task.Delay(1000); // nothing more may happen once it failed
        var phase = (await h.PhasesAsync("run-inject"))[0];
        Assert.Equal((PhaseState.Failed, "EXECUTOR_ERROR", 0), (phase.State, phase.FailureReason, phase.Attempts)); // no attempt counted
        var events = await h.EventsAsync("run-inject", "P1");
        output.WriteLine($"{injection}: {events.Count} run events for the phase");
        Assert.InRange(events.Count, 1, 20);
        var note = JsonDocument.Parse(events[^1].Payload).RootElement.GetProperty("note").GetString()!;
        Assert.Contains("executor error 5 of 5", note);
        Assert.Contains(cause, note); // the base exception's message, not "see the inner exception"
        Assert.DoesNotContain("inner exception", note);
        Assert.Contains("EXECUTOR_ERROR", run.FailureReason);
        var attempts = await h.AttemptsAsync("run-inject", "P1");
        Assert.All(attempts, a => Assert.Equal(("STOPPED", "EXECUTOR_ERROR"), (a.Outcome, a.FailureReason)));
        Assert.Equal(5, attempts.Count);
        Assert.Equal(5, h.Logs.Errors.Count(e => e.Message.Contains("requeueing it with backoff")));
        await PhaseEventSequence.AssertAsync(h, "run-inject", $"executor-error-{injection}");
    }

    [Fact]
    public async Task A_phase_backing_off_shows_not_before_and_why_and_is_not_claimed_before_it()
    {
        var calls = 0;
        await using var h = await ExecutorHarness.CreateAsync(output: output, answer: r =>
                Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("scripted model client failure")
                : r.Role == "auditor" ? ModelScript.Approve : new ScriptedAnswer(ModelScript.GreetFix),
            tune: o => o with { ErrorBackoff = new BackoffPolicy(TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(1), 0.2) });
        h.ExpectedErrors = e => e.Message.Contains("requeueing it with backoff");
        await h.SeedAsync("run-backoff", new PhaseSpec("P1", "T1", ["greet.sh"]));
        h.Start();

        var waiting = await h.WaitForAsync(async ctx => await ctx.Phases.AsNoTracking().SingleOrDefaultAsync(p => p.NotBefore != null && p.State == PhaseState.Queued),
            what: "the phase backing off");
        var released = DateTime.UtcNow;
        Assert.InRange(waiting.NotBefore!.Value, released.AddSeconds(1.5), released.AddSeconds(3.7));
        Assert.Equal(1, waiting.ErrorReleases);
        Assert.Equal($"waiting until {waiting.NotBefore:HH:mm:ss}Z after executor error 1 of 5: scripted model client failure", waiting.StatusReason);

        await h.WaitForRunAsync("run-backoff", RunState.Complete);
        var claims = (await h.EventsAsync("run-backoff", "P1")).Where(e => e.Type == "phase.state" && e.Payload.Contains("\"state\":\"EXECUTING\",\"previous_state\":\"QUEUED\"")).ToList();
        Assert.Equal(2, claims.Count);
        Assert.True(claims[1].CreatedAt >= waiting.NotBefore.Value.AddMilliseconds(-50), $"claimed again at {claims[1].CreatedAt:O}, before {waiting.NotBefore:O}");
        var phase = (await h.PhasesAsync("run-backoff"))[0];
        Assert.Equal((1, 0, (DateTime?)null), (phase.Attempts, phase.ErrorReleases, phase.NotBefore)); // an outcome ends the error run
        await PhaseEventSequence.AssertAsync(h, "run-backoff", "executor-error-backoff-then-pass");
    }
}
