using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server from the machine's binaries (Debian's <c>postgresql</c>): <c>initdb</c> into a
/// data folder, <c>postgres</c> on a free loopback port with a generated password. Used by the tests and the
/// benchmarks (linked into Autopack.Bench); the AppHost runs its own as Aspire resources. PostgreSQL refuses to run as root, so as root it runs as the
/// <c>postgres</c> user through <c>setpriv</c>.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string Superuser = "autopack";

    private readonly string _binDir;
    private Process? _process;

    public string DataDir { get; }
    public int Port { get; private set; }
    public string Password { get; }
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    private LocalPostgres(string binDir, string dataDir, string password)
    {
        _binDir = binDir;
        DataDir = dataDir;
        Password = password;
    }

    /// <summary>The bin folder of the newest installed PostgreSQL, or null when there is none.</summary>
    public static string? FindBinaries()
    {
        var fromEnv = Environment.GetEnvironmentVariable("AUTOPACK_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "initdb"))) return fromEnv;
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: d, ok: int.TryParse(Path.GetFileName(d), out var v), v))
                .Where(x => x.ok && File.Exists(Path.Combine(x.dir, "bin", "initdb")))
                .OrderByDescending(x => x.v).FirstOrDefault();
            if (newest.dir is not null) return Path.Combine(newest.dir, "bin");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres"))) return dir;
        return null;
    }

    /// <summary>
    /// Initializes <paramref name="dataDir"/> if it holds no cluster (keeping the password in
    /// <c>dataDir/../postgres.password</c> so a restart reuses it) and starts the server on <paramref name="port"/> (0 = free port).
    /// </summary>
    public static async Task<LocalPostgres> StartAsync(string dataDir, int port = 0, bool durable = true, CancellationToken ct = default)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, postgres) were not found: install Debian's 'postgresql' package or set AUTOPACK_PG_BIN.");
        dataDir = Path.GetFullPath(dataDir);
        var parent = Path.GetDirectoryName(dataDir)!;
        Directory.CreateDirectory(parent);
        // The server user must be able to reach its data folder through every parent (temp folders are often 0700):
        // grant traverse (x) only, never read.
        if (IsRoot)
            for (var dir = new DirectoryInfo(parent); dir is not null; dir = dir.Parent)
                if (!File.GetUnixFileMode(dir.FullName).HasFlag(UnixFileMode.OtherExecute))
                    File.SetUnixFileMode(dir.FullName, File.GetUnixFileMode(dir.FullName) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var passwordFile = Path.Combine(parent, Path.GetFileName(dataDir) + ".password");
        if (!File.Exists(passwordFile))
            await File.WriteAllTextAsync(passwordFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), ct);
        var pg = new LocalPostgres(bin, dataDir, (await File.ReadAllTextAsync(passwordFile, ct)).Trim());
        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION"))) await pg.InitAsync(passwordFile, ct);
        await pg.StartServerAsync(port == 0 ? FreePort() : port, durable, ct);
        return pg;
    }

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={Superuser};Password={Password};Database={database};Pooling=true;Timeout=15";

    public string Url(string database) => $"postgresql://{Superuser}:{Password}@127.0.0.1:{Port}/{database}";

    private async Task InitAsync(string passwordFile, CancellationToken ct)
    {
        Directory.CreateDirectory(DataDir);
        AsServerUser(DataDir);
        AsServerUser(passwordFile);
        var (code, output) = await RunToEndAsync(Path.Combine(_binDir, "initdb"),
            ["-D", DataDir, "-U", Superuser, "--pwfile", passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"], ct);
        if (code != 0) throw new InvalidOperationException($"initdb failed ({code}): {output}");
    }

    private async Task StartServerAsync(int port, bool durable, CancellationToken ct)
    {
        Port = port;
        var socketDir = Path.Combine(Path.GetTempPath(), "autopack-pg-sock-" + port);
        Directory.CreateDirectory(socketDir);
        AsServerUser(socketDir);
        var args = new List<string>
        {
            "-D", DataDir, "-p", port.ToString(), "-k", socketDir, "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=300", "-c", "shared_buffers=128MB",
        };
        if (!durable) args.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        _process = Start(Path.Combine(_binDir, "postgres"), args);
        var log = new System.Text.StringBuilder();
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        // Ready when a client can sign in (the server says nothing on stdout we could wait for instead); a server that exited
        // ends the wait at once with its log.
        await Eventually.UntilAsync($"postgres on port {port} accepting connections", async () =>
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited) throw new InvalidOperationException($"postgres exited with {_process.ExitCode}: {log}");
            await using var conn = new Npgsql.NpgsqlConnection(ConnectionString());
            await conn.OpenAsync(ct);
            return true;
        }, TimeSpan.FromSeconds(60), tolerate: e => e is Npgsql.NpgsqlException);
    }

    /// <summary>Creates the database if it does not exist.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var conn = new Npgsql.NpgsqlConnection(ConnectionString());
        await conn.OpenAsync(ct);
        await using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn);
        exists.Parameters.AddWithValue("n", database);
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", conn);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Fast, clean shutdown (SIGINT), as pg_ctl stop -m fast does.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process is null || _process.HasExited) return;
        _ = Signal(_process.Id, SigInt);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }

    /// <summary>
    /// <see cref="StopAsync"/> without awaiting, for a process-exit handler: no child process is started and nothing
    /// waits on the thread pool while the runtime shuts down.
    /// </summary>
    public void Stop(TimeSpan timeout)
    {
        if (_process is null || _process.HasExited) return;
        _ = Signal(_process.Id, SigInt);
        if (!_process.WaitForExit(timeout)) _process.Kill(entireProcessTree: true);
    }

    /// <summary>
    /// Stops a server another process started on <paramref name="dataDir"/> and left running (its <c>postmaster.pid</c>
    /// names it; a pid now used by another program is left alone). Returns once it is gone, SIGKILLed after 10 s.
    /// </summary>
    public static void StopLeftover(string dataDir)
    {
        string[] lines;
        try { lines = File.ReadAllLines(Path.Combine(dataDir, "postmaster.pid")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        if (lines.Length == 0 || !int.TryParse(lines[0], out var pid) || !IsPostmasterOf(pid, dataDir)) return;
        _ = Signal(pid, SigInt);
        for (var waited = 0; waited < 100 && IsPostmasterOf(pid, dataDir); waited++) Thread.Sleep(100);
        if (IsPostmasterOf(pid, dataDir)) _ = Signal(pid, SigKill);
    }

    private static bool IsPostmasterOf(int pid, string dataDir)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains(Path.GetFullPath(dataDir)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private const int SigInt = 2;
    private const int SigKill = 9;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);

    /// <summary>Crash: SIGKILL the postmaster (its children exit when they notice).</summary>
    public void Kill() => _process?.Kill(entireProcessTree: true);

    /// <summary>Starts the server again on the same port and data folder (after <see cref="StopAsync"/> or <see cref="Kill"/>).</summary>
    public Task RestartAsync(CancellationToken ct = default) => StartServerAsync(Port, durable: true, ct);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Process Start(string file, IEnumerable<string> args)
    {
        var psi = IsRoot
            ? new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", file, .. args])
            : new ProcessStartInfo(file, args);
        psi.UseShellExecute = false;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        psi.Environment["LC_ALL"] = "C";
        return Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}");
    }

    private static async Task<(int, string)> RunToEndAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        using var p = Start(file, args);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }

    private static void AsServerUser(string path)
    {
        if (!IsRoot) return;
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", "postgres:postgres", path]) { UseShellExecute = false })!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown postgres {path} failed: is there a 'postgres' user (Debian's postgresql package creates it)?");
    }
}
