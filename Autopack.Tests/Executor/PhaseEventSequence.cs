using System.Text.Json;
using Autopack.Core.Events;
using Autopack.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Tests.Executor;

/// <summary>
/// Characterization of the phase runner: the run events each executor scenario writes, as
/// <c>(phase, type, state / outcome / reason)</c> lines, compared with the sequence the runner wrote before it was
/// split into named parts (recorded once from that code, reviewed by hand). A refactoring of the runner must leave
/// every sequence unchanged. Each phase's events (and the run's own) are in sequence order; phases that run in
/// parallel interleave by chance, so groups are listed phase by phase. <c>run.created</c> is not the runner's.
/// </summary>
public static class PhaseEventSequence
{
    private static readonly string[] Keys = ["previous_state", "state", "number", "outcome", "failure_reason", "role", "passed", "kind", "status"];

    public static async Task<List<string>> RecordAsync(ExecutorHarness h, string runId)
    {
        await using var ctx = h.Context();
        var events = await ctx.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Type != EventTypes.RunCreated)
            .OrderBy(e => e.Sequence).ToListAsync();
        return events.GroupBy(e => e.PhaseId ?? "run").OrderBy(g => g.Key == "run" ? "" : g.Key, StringComparer.Ordinal)
            .SelectMany(g => g.Select(e => Describe(g.Key, e.Type, e.Payload))).ToList();
    }

    /// <summary>Fails with the recorded sequence as C# when the scenario has none yet, so it can be reviewed and pasted.</summary>
    public static async Task AssertAsync(ExecutorHarness h, string runId, string scenario)
    {
        var actual = await RecordAsync(h, runId);
        if (!Expected.TryGetValue(scenario, out var expected))
            Assert.Fail($"No expected sequence for '{scenario}'. Recorded:\n[\"{scenario}\"] =\n[\n{string.Join("\n", actual.Select(a => $"    \"{a}\","))}\n],");
        Assert.Equal(expected, actual);
    }

    private static string Describe(string phase, string type, string payload)
    {
        var root = JsonDocument.Parse(payload).RootElement;
        var parts = new List<string> { phase, type };
        foreach (var key in Keys)
            if (root.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null)
                parts.Add($"{key}={value}");
        return string.Join(' ', parts);
    }

    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["approval-expired"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 approval.requested kind=SCOPE_VIOLATION status=PENDING",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=APPROVAL_REJECTED",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=APPROVAL_REJECTED",
        ],
        ["auditor-escalation-approved"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 approval.requested kind=AUDITOR_ESCALATE status=PENDING",
            "P1 approval.decided kind=AUDITOR_ESCALATE status=APPROVED",
            "P1 phase.attempt number=1 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["cancel"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=CANCELLED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=CANCELLED",
        ],
        ["executor-error-DatabaseErrorMidAttempt"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=3 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=4 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=5 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
        ],
        ["executor-error-ModelClientException"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=3 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=4 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=5 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
        ],
        ["executor-error-WorktreeFolderBlocked"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=3 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=4 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=5 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
        ],
        ["executor-error-backoff-then-pass"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=EXECUTOR_ERROR",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=2 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["kill-switch"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.state previous_state=GATE state=FAILED failure_reason=KILL_SWITCH",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=2 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
            "P2 phase.state previous_state=QUEUED state=EXECUTING",
            "P2 phase.attempt number=1 outcome=RUNNING",
            "P2 usage role=builder",
            "P2 phase.state previous_state=EXECUTING state=GATE",
            "P2 usage role=auditor",
            "P2 phase.attempt number=1 outcome=SUCCEEDED",
            "P2 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["lease-expired-commit-found"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=LEASE_EXPIRED",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.state previous_state=EXECUTING state=COMPLETE",
        ],
        ["max-attempts-then-operator-retry"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "run run.state previous_state=FAILED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=AUDITOR_REJECTED",
            "P1 phase.state previous_state=GATE state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=2 outcome=FAILED failure_reason=AUDITOR_REJECTED",
            "P1 phase.state previous_state=GATE state=FAILED failure_reason=MAX_ATTEMPTS",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=3 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=3 outcome=FAILED failure_reason=AUDITOR_REJECTED",
            "P1 phase.state previous_state=GATE state=EXECUTING",
            "P1 phase.attempt number=4 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=4 outcome=FAILED failure_reason=AUDITOR_REJECTED",
            "P1 phase.state previous_state=GATE state=FAILED failure_reason=MAX_ATTEMPTS",
        ],
        ["model-outage"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=1 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["no-repository"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=NO_REPOSITORY",
        ],
        ["phase-token-cap"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=BUDGET_EXHAUSTED",
            "P1 phase.state previous_state=GATE state=FAILED failure_reason=BUDGET_EXHAUSTED",
        ],
        ["protected-path"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=PATCH_FAILED",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=2 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["retry-then-pass"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=PATCH_FAILED",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=False",
            "P1 phase.attempt number=2 outcome=FAILED failure_reason=CI_FAILED",
            "P1 phase.attempt number=3 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=3 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["run-duration-timeout"] =
        [
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=TIMEOUT",
        ],
        ["sandbox-unavailable"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=SANDBOX_UNAVAILABLE",
        ],
        ["scope-approval-approved"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 approval.requested kind=SCOPE_VIOLATION status=PENDING",
            "P1 approval.decided kind=SCOPE_VIOLATION status=APPROVED",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=1 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["scope-approval-rejected"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=FAILED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 approval.requested kind=SCOPE_VIOLATION status=PENDING",
            "P1 approval.decided kind=SCOPE_VIOLATION status=REJECTED",
            "P1 phase.attempt number=1 outcome=FAILED failure_reason=APPROVAL_REJECTED",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=APPROVAL_REJECTED",
        ],
        ["shutdown-then-resume"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.state previous_state=EXECUTING state=FAILED failure_reason=RELEASED",
            "P1 phase.state previous_state=FAILED state=QUEUED",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=2 outcome=RUNNING",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=2 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["success-first-try"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=1 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
            "P2 phase.state previous_state=QUEUED state=EXECUTING",
            "P2 phase.attempt number=1 outcome=RUNNING",
            "P2 usage role=builder",
            "P2 phase.tests passed=True",
            "P2 phase.state previous_state=EXECUTING state=GATE",
            "P2 usage role=auditor",
            "P2 phase.attempt number=1 outcome=SUCCEEDED",
            "P2 phase.state previous_state=GATE state=COMPLETE",
        ],
        ["token-cap-pause-resume"] =
        [
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=PAUSED",
            "run run.state previous_state=PAUSED state=QUEUED",
            "run run.state previous_state=QUEUED state=RUNNING",
            "run run.state previous_state=RUNNING state=COMPLETE",
            "P1 phase.state previous_state=QUEUED state=EXECUTING",
            "P1 phase.attempt number=1 outcome=RUNNING",
            "P1 usage role=builder",
            "P1 phase.tests passed=True",
            "P1 phase.state previous_state=EXECUTING state=GATE",
            "P1 usage role=auditor",
            "P1 phase.attempt number=1 outcome=SUCCEEDED",
            "P1 phase.state previous_state=GATE state=COMPLETE",
        ],
    };
}
