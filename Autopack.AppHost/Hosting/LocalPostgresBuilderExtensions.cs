using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// <c>AddLocalPostgres</c>: an <c>initdb</c> step and the server as executables, for machines with PostgreSQL's
/// binaries and no container runtime. PostgreSQL refuses to run as root, so as root both run as the
/// <c>postgres</c> user through <c>setpriv</c>, which execs, so DCP's signals reach the postmaster itself.
/// </summary>
public static class LocalPostgresBuilderExtensions
{
    /// <summary>The bin folder of the newest installed PostgreSQL (<c>AUTOPACK_PG_BIN</c> wins), or null.</summary>
    public static string? FindPostgresBinaries(string? configured)
    {
        if (!string.IsNullOrEmpty(configured)) return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot)) return null;
        return Directory.GetDirectories(debianRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(x => x.Version > 0 && File.Exists(Path.Combine(x.Dir, "initdb")) && File.Exists(Path.Combine(x.Dir, "postgres")))
            .OrderByDescending(x => x.Version).Select(x => x.Dir).FirstOrDefault();
    }

    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name, string binDir, string stateDir)
    {
        var root = Path.Combine(stateDir, name);
        var dataDir = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var passwordFile = KeepSecret(Path.Combine(root, "password"), () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var port = int.Parse(File.ReadAllText(KeepSecret(Path.Combine(root, "port"), () => FreePort().ToString())).Trim());
        AsServerUser(root, passwordFile);

        var secret = File.ReadAllText(passwordFile).Trim();
        var password = builder.AddParameter($"{name}-password", secret, secret: true);
        // initdb only when the folder holds no cluster yet; a completed step either way, which the server waits for.
        var init = builder.AddExecutable($"{name}-init", "sh", root, AsServerUserArgs("sh", "-c",
                $"test -f '{dataDir}/PG_VERSION' && echo 'cluster exists' || exec '{binDir}/initdb' -D '{dataDir}' -U {LocalPostgresServerResource.Superuser} " +
                $"--pwfile='{passwordFile}' --auth=scram-sha-256 -E UTF8 --no-locale"))
            .WithEnvironment("LC_ALL", "C")
            .ExcludeFromManifest();
        if (IsRoot) init.WithCommand("setpriv");

        var server = new LocalPostgresServerResource(name, IsRoot ? "setpriv" : Path.Combine(binDir, "postgres"), root, password.Resource);
        var connectionString = $"Host=localhost;Port={port};Username={LocalPostgresServerResource.Superuser};Password={secret};Timeout=5";
        builder.Services.AddHealthChecks().AddNpgSql(connectionString, name: $"{name}_check");
        return builder.AddResource(server)
            .WithArgs(AsServerUserArgs(Path.Combine(binDir, "postgres"), "-D", dataDir, "-p", port.ToString(), "-k", "",
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"))
            .WithEnvironment("LC_ALL", "C")
            .WithEndpoint(LocalPostgresServerResource.EndpointName, e =>
            {
                e.Port = port;
                e.TargetPort = port;
                e.IsProxied = false;
                e.UriScheme = "tcp";
                e.Transport = "tcp";
            }, createIfNotExists: true)
            .WaitForCompletion(init)
            .WithHealthCheck($"{name}_check")
            .ExcludeFromManifest();
    }

    /// <summary>
    /// A database on the local server, created when the server is healthy. Aspire hands state only from container
    /// parents to their children, so this resource publishes its own (Running once created), which <c>WaitFor</c> needs.
    /// </summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        string? serverConnection = null;
        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (e, ct) =>
        {
            serverConnection = await server.Resource.ConnectionStringExpression.GetValueAsync(ct);
            await using (var connection = new NpgsqlConnection(serverConnection))
            {
                await connection.OpenAsync(ct);
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", connection);
                exists.Parameters.AddWithValue("n", database.DatabaseName);
                if (await exists.ExecuteScalarAsync(ct) is null)
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE {new NpgsqlCommandBuilder().QuoteIdentifier(database.DatabaseName)}", connection);
                    await create.ExecuteNonQueryAsync(ct);
                }
            }
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
        });
        var check = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(_ => (serverConnection ?? throw new InvalidOperationException("the server is not ready")) +
            $";Database={database.DatabaseName}", name: check);
        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", State = KnownResourceStates.Waiting, Properties = [] })
            .WithParentRelationship(server)
            .WithHealthCheck(check)
            .ExcludeFromManifest();
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string[] AsServerUserArgs(string file, params string[] args) =>
        IsRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", file, .. args] : args;

    /// <summary>A value kept in a 0600 file, generated on first use; returns the file.</summary>
    private static string KeepSecret(string file, Func<string> create)
    {
        if (!File.Exists(file))
        {
            File.WriteAllText(file, create());
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return file;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>As root, hands the server's folders to the postgres user and lets it traverse every parent (never read).</summary>
    private static void AsServerUser(string root, params string[] paths)
    {
        if (!IsRoot) return;
        for (var dir = new DirectoryInfo(root).Parent; dir is not null; dir = dir.Parent)
            if (!File.GetUnixFileMode(dir.FullName).HasFlag(UnixFileMode.OtherExecute))
                File.SetUnixFileMode(dir.FullName, File.GetUnixFileMode(dir.FullName) | UnixFileMode.OtherExecute);
        using var chown = Process.Start(new ProcessStartInfo("chown", ["postgres:postgres", root, .. paths]) { UseShellExecute = false })!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown postgres {root} failed: is there a 'postgres' user (Debian's postgresql package creates it)?");
    }
}
