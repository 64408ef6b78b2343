using Autopack.Core.Domain;
using Autopack.Executor.Extensions;
using Autopack.Executor.Sandbox;
using Autopack.Executor.Testing;
using Autopack.Executor.Workspace;

namespace Autopack.Executor.Loop.Stages;

/// <summary>
/// The phase's test command in the sandbox, within the phase's remaining wall clock; its result goes to the live
/// stream. A failure is CI_FAILED (exit code or output limit) or TIMEOUT. No test command: no tests (null).
/// </summary>
public sealed class TestStage(ExecutorOptions options, CommandSandbox sandbox, PhaseLedger ledger)
{
    public async Task<StageResult<TestResult?>> RunAsync(AttemptContext a, BuiltPatch patch, CancellationToken ct)
    {
        var (phase, worktree) = (a.Phase, a.Worktree);
        if (string.IsNullOrWhiteSpace(phase.TestCommand)) return StageResult.Ok<TestResult?>(null);
        var remaining = options.PhaseTimeout - a.Clock.Elapsed;
        var timeout = remaining < options.TestTimeout ? remaining : options.TestTimeout;
        if (timeout <= TimeSpan.Zero)
            return StageResult.Failed<TestResult?>(AttemptOutcome.Fail(ReasonCodes.Timeout, "The phase ran out of wall-clock time.", terminal: true));
        TestResult tests;
        using (var command = sandbox.Prepare(phase.TestCommand, worktree.Path, phase.SandboxNetwork))
            tests = await TestCommandRunner.RunAsync(command, timeout, options.TestOutputMaxChars, ct, RunWorkspace.TestGroupRecord(worktree.Path));
        await ledger.RecordTestsAsync(a.Claim, a.Attempt.Number, tests, ct);
        if (!tests.Passed)
            return StageResult.Failed<TestResult?>(AttemptOutcome.Fail(tests.TimedOut ? ReasonCodes.Timeout : ReasonCodes.CiFailed,
                    $"`{phase.TestCommand}` {(tests.TimedOut ? "timed out" : tests.OutputCutOff ? "was stopped at the output limit" : $"exited with {tests.ExitCode}")}:\n{tests.Output}")
                with { Diff = patch.Diff.Text, TestOutput = tests.Output, TestExitCode = tests.ExitCode });
        return StageResult.Ok<TestResult?>(tests);
    }
}
