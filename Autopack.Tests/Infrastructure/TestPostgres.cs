
namespace Autopack.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run (started from the machine's binaries in a temp
/// folder); each test gets its own database on it. A missing server is a failure, never a skip. The folder (1–2 GB
/// after a full run) is deleted when the test host exits, as far as it gets: the test runner kills a host that takes
/// long to exit, so whatever an earlier run left (its server too) is stopped and deleted when the next run starts —
/// they once filled this machine's disk (187 folders, 74 GB, and a server still running).
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private const string FolderPrefix = "autopack-test-pg-";
    private static LocalPostgres? _server;

    public static async Task<LocalPostgres> ServerAsync()
    {
        if (_server is not null) return _server;
        await Gate.WaitAsync();
        try
        {
            if (_server is not null) return _server;
            RemoveLeftovers();
            var folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Environment.ProcessId);
            var server = await LocalPostgres.StartAsync(Path.Combine(folder, "data"), durable: false);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                server.Stop(TimeSpan.FromSeconds(10));
                TryDelete(folder);
            };
            return _server = server;
        }
        finally { Gate.Release(); }
    }

    /// <summary>Folders of earlier runs whose test host is gone (a running one belongs to a run beside this one).</summary>
    internal static void RemoveLeftovers()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(folder)[FolderPrefix.Length..], out var host) || Directory.Exists($"/proc/{host}")) continue;
            LocalPostgres.StopLeftover(Path.Combine(folder, "data"));
            TryDelete(folder);
        }
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // still in use: the next run retries
    }
}
