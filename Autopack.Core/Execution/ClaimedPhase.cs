namespace Autopack.Core.Execution;

/// <summary>A phase an executor holds under lease: enough to find it again and to renew or release it.</summary>
/// <param name="WorkerId">
/// The holder of this one claim: the executor's id plus a per-claim suffix (<c>executor-a#1f2e3d4c</c>), as written to
/// <c>phases.claimed_by</c>. An executor that stalls past its lease and later claims the same phase again gets a new
/// holder, so its stalled runner finds the phase "no longer held" instead of working it alongside the new one.
/// </param>
public sealed record ClaimedPhase(long PhaseRowId, string RunId, string PhaseId, string WorkerId, DateTime LeaseExpiresAt);
