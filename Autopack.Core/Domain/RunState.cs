namespace Autopack.Core.Domain;

public enum RunState { Queued, Running, Paused, Complete, Failed, Cancelled }

public static class RunStateExtensions
{
    public static bool IsFinished(this RunState state) =>
        state is RunState.Complete or RunState.Failed or RunState.Cancelled;
}
