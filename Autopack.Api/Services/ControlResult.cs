namespace Autopack.Api.Services;

/// <summary>What an operator's action on a run did: done, nothing there to act on (404), or refused with the reason (409).</summary>
public abstract record ControlResult
{
    public sealed record Done : ControlResult;
    public sealed record NotFound : ControlResult;
    public sealed record Conflict(string Reason) : ControlResult;
}
