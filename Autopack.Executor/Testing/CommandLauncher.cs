using System.Collections.Concurrent;
using System.Diagnostics;

namespace Autopack.Executor.Testing;

/// <summary>
/// Starts test commands from one thread that lives as long as the executor. bubblewrap's <c>--die-with-parent</c>
/// asks the kernel for a SIGKILL when its parent dies, and on Linux the parent is the <em>thread</em> that forked it
/// (<c>PR_SET_PDEATHSIG</c>): a command started on a thread-pool thread was killed (exit 137) when that thread retired,
/// which the pool does after 20 s idle — so under load, when the pool grows and shrinks, long sandboxed test commands
/// died half-way. From this thread they die only with the executor, as intended.
/// </summary>
public static class CommandLauncher
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Queue = [];

    static CommandLauncher()
    {
        new Thread(Run) { IsBackground = true, Name = "autopack command launcher" }.Start();
    }

    /// <summary>Starts <paramref name="process"/> on the launcher thread; completes once it runs (or faults with the start's error).</summary>
    public static Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((process, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (process, started) in Queue.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
