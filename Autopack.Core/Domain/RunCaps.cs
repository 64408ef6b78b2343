namespace Autopack.Core.Domain;

/// <summary>Defaults and floors for the per-run budgets.</summary>
public static class RunCaps
{
    public const long DefaultTokenCap = 5_000_000;
    public const int DefaultMaxPhases = 25;
    public const int DefaultMaxDurationMinutes = 120;

    public const long MinTokenCap = 10_000;
    public const int MinMaxPhases = 1;
    public const int MaxMaxPhases = 100;
    public const int MinDurationMinutes = 1;
    public const int DefaultMaxAttempts = 5;

    /// <summary>A run pauses (waiting for an operator to raise the cap) at this share of its token cap.</summary>
    public const double PauseAtFraction = 0.95;
}
