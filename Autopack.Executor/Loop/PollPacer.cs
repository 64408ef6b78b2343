namespace Autopack.Executor.Loop;

/// <summary>
/// The loop's wait between passes: the poll interval, or sooner when a runner finishes (a slot is free) or the
/// executor stops. The stop task is made once: one made per pass stays registered on the stopping token until
/// shutdown (about 280 bytes a pass, 24 MB a day at the default poll).
/// </summary>
public sealed class PollPacer(TimeSpan interval, CancellationToken stopping)
{
    private readonly Task _stopped = Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default);

    public Task WaitAsync(IReadOnlyCollection<Task> running)
    {
        var tasks = new List<Task>(running.Count + 2) { Task.Delay(interval, CancellationToken.None), _stopped };
        tasks.AddRange(running);
        return Task.WhenAny(tasks);
    }
}
