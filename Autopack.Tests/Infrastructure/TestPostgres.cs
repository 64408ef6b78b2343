
namespace Autopack.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run (started from the machine's binaries in a temp
/// folder); each test gets its own database on it. A missing server is a failure, never a skip.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static LocalPostgres? _server;

    public static async Task<LocalPostgres> ServerAsync()
    {
        if (_server is not null) return _server;
        await Gate.WaitAsync();
        try
        {
            if (_server is not null) return _server;
            var dir = Path.Combine(Path.GetTempPath(), "autopack-test-pg-" + Environment.ProcessId, "data");
            _server = await LocalPostgres.StartAsync(dir, durable: false);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _server.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            return _server;
        }
        finally { Gate.Release(); }
    }
}
