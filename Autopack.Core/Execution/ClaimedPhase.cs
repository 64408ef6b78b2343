namespace Autopack.Core.Execution;

/// <summary>A phase an executor holds under lease: enough to find it again and to renew or release it.</summary>
public sealed record ClaimedPhase(long PhaseRowId, string RunId, string PhaseId, string WorkerId, DateTime LeaseExpiresAt);
