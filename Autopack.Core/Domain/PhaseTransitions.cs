using System.Collections.Frozen;

namespace Autopack.Core.Domain;

/// <summary>The one place that says which phase state moves are legal.</summary>
public static class PhaseTransitions
{
    private static readonly FrozenDictionary<PhaseState, PhaseState[]> Allowed = new Dictionary<PhaseState, PhaseState[]>
    {
        [PhaseState.Queued] = [PhaseState.Executing, PhaseState.Skipped],
        [PhaseState.Executing] = [PhaseState.Gate, PhaseState.CiRunning, PhaseState.Complete, PhaseState.Failed],
        [PhaseState.Gate] = [PhaseState.Executing, PhaseState.Complete, PhaseState.Failed],
        [PhaseState.CiRunning] = [PhaseState.Complete, PhaseState.Failed],
        [PhaseState.Failed] = [PhaseState.Queued],
        [PhaseState.Complete] = [],
        [PhaseState.Skipped] = [],
    }.ToFrozenDictionary();

    public static IReadOnlyList<PhaseState> AllowedFrom(PhaseState from) => Allowed[from];

    public static bool IsAllowed(PhaseState from, PhaseState to) => Allowed[from].Contains(to);

    /// <summary>Throws <see cref="IllegalTransitionException"/> when the move is not in the table.</summary>
    public static void Ensure(PhaseState from, PhaseState to)
    {
        if (!IsAllowed(from, to)) throw new IllegalTransitionException(from, to, Allowed[from]);
    }
}

public sealed class IllegalTransitionException(PhaseState from, PhaseState to, IReadOnlyList<PhaseState> allowed)
    : InvalidOperationException($"Phase cannot move from {EnumNames.ToWire(from)} to {EnumNames.ToWire(to)}; allowed: {(allowed.Count == 0 ? "none" : string.Join(", ", allowed.Select(a => EnumNames.ToWire(a))))}")
{
    public PhaseState From { get; } = from;
    public PhaseState To { get; } = to;
    public IReadOnlyList<PhaseState> Allowed { get; } = allowed;
}
