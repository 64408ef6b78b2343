namespace Autopack.Executor.Loop;

/// <summary>
/// The phase's wall clock (AUTOPACK_PHASE_TIMEOUT_MINUTES). Waiting for a human, a paused run or a model provider is
/// not the phase's work, so those waits stop it. Read from <see cref="TimeProvider"/>, so a test can move it.
/// </summary>
public sealed class PhaseClock(TimeProvider time)
{
    private TimeSpan _stopped;
    private long? _since = time.GetTimestamp();

    public TimeSpan Elapsed => _stopped + (_since is { } since ? time.GetElapsedTime(since) : TimeSpan.Zero);

    public void Stop()
    {
        if (_since is not { } since) return;
        _stopped += time.GetElapsedTime(since);
        _since = null;
    }

    public void Start() => _since ??= time.GetTimestamp();
}
