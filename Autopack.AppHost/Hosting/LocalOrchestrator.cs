using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Autopack.AppHost.Hosting;

/// <summary>
/// Runs the app model on this machine: the database (local PostgreSQL binaries, an explicit connection
/// string, or the embedded SQLite file), migrations once, then every project in dependency order with the
/// configuration Aspire would inject, each waiting for what it needs to be healthy.
/// </summary>
public sealed class LocalOrchestrator(DistributedApplicationBuilder model, LocalRunOptions options) : IAsyncDisposable
{
    private readonly List<ManagedProcess> _processes = [];
    private LocalPostgres? _postgres;

    public Dictionary<string, string> Urls { get; } = new();
    public Dictionary<string, string> Notes { get; } = new();
    public string StateDir { get; } = options.StateDir;
    public string LogDir => Path.Combine(StateDir, "logs");
    public DevCredentials Credentials { get; private set; } = null!;
    public IReadOnlyList<ManagedProcess> Processes => _processes;
    public int? PostgresPid => _postgres?.ProcessId;

    public async Task StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(LogDir);
        Credentials = DevCredentials.LoadOrCreate(StateDir);
        if (options.Build) await RunToEndAsync("dotnet", ["build", Path.Combine(model.RepositoryRoot, "Autopack.sln"), "-nologo", "-v", "quiet"], "build", ct);

        var shared = new Dictionary<string, string>
        {
            ["AUTOPACK_STATE_DIR"] = StateDir,
            ["AUTOPACK_API_KEY"] = Credentials.ApiKey,
            ["AUTOPACK_ADMIN_USER"] = Credentials.AdminUser,
            ["AUTOPACK_ADMIN_PASSWORD"] = Credentials.AdminPassword,
            ["DOTNET_ENVIRONMENT"] = "Development",
        };
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp) shared["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        await StartDatabaseAsync(shared, ct);
        ResolveQdrant(shared);

        // Schema once, before any service starts (services themselves never create it).
        await RunToEndAsync("dotnet", [DllOf(model.Get<ProjectResource>("api")), "migrate"], "migrate", ct, shared);

        foreach (var resource in InStartOrder())
        {
            foreach (var dependency in resource.WaitsFor)
                foreach (var p in _processes.Where(p => p.Name == dependency.Name || p.Name.StartsWith(dependency.Name + "-")))
                    if (!await p.WaitHealthyAsync(TimeSpan.FromSeconds(90), ct))
                        throw new InvalidOperationException($"{dependency.Name} did not become healthy in 90 s; see {Path.Combine(LogDir, dependency.Name + ".log")}");
            switch (resource)
            {
                case ProjectResource project: StartProject(project, shared); break;
                case ViteAppResource web: StartVite(web); break;
            }
        }
    }

    private async Task StartDatabaseAsync(Dictionary<string, string> env, CancellationToken ct)
    {
        var explicitCs = Environment.GetEnvironmentVariable("ConnectionStrings__autopack") ?? Environment.GetEnvironmentVariable("DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(explicitCs))
        {
            env[explicitCs.Contains("://") ? "DATABASE_URL" : "ConnectionStrings__autopack"] = explicitCs;
            Notes["postgres"] = "explicit connection string";
            return;
        }
        if (!options.UseLocalPostgres || LocalPostgres.FindBinaries() is null)
        {
            Notes["postgres"] = $"not used: embedded SQLite at {Path.Combine(StateDir, "autopack.db")}";
            return;
        }
        _postgres = await LocalPostgres.StartAsync(Path.Combine(StateDir, "postgres", "data"), ct: ct);
        await _postgres.EnsureDatabaseAsync("autopack", ct);
        env["ConnectionStrings__autopack"] = _postgres.ConnectionString("autopack");
        Urls["postgres"] = $"tcp://127.0.0.1:{_postgres.Port}";
        Notes["postgres"] = $"local PostgreSQL ({LocalPostgres.FindBinaries()}), data in {_postgres.DataDir}";
    }

    private void ResolveQdrant(Dictionary<string, string> env)
    {
        var cs = Environment.GetEnvironmentVariable("ConnectionStrings__qdrant");
        var url = Environment.GetEnvironmentVariable("QDRANT_URL");
        if (!string.IsNullOrWhiteSpace(cs)) { env["ConnectionStrings__qdrant"] = cs; Notes["qdrant"] = "configured endpoint"; }
        else if (!string.IsNullOrWhiteSpace(url)) { env["QDRANT_URL"] = url; Notes["qdrant"] = "configured endpoint " + url; }
        else Notes["qdrant"] = "not used: embedded vector index in the database";
    }

    private void StartProject(ProjectResource project, Dictionary<string, string> shared)
    {
        for (var replica = 0; replica < project.Replicas; replica++)
        {
            var name = project.Replicas == 1 ? project.Name : $"{project.Name}-{replica}";
            var port = LocalPostgres.FreePort();
            var url = $"http://127.0.0.1:{port}";
            var psi = new ProcessStartInfo("dotnet", [DllOf(project)]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (k, v) in shared) psi.Environment[k] = v;
            psi.Environment["ASPNETCORE_URLS"] = url;
            psi.Environment["OTEL_SERVICE_NAME"] = project.Name;
            foreach (var reference in project.References.OfType<ProjectResource>())
                if (Urls.TryGetValue(reference.Name, out var refUrl)) psi.Environment[$"services__{reference.Name}__http__0"] = refUrl;
            foreach (var (k, v) in project.Environment) psi.Environment[k] = v;
            var process = new ManagedProcess(name, psi, Path.Combine(LogDir, name + ".log"), project.HealthPath is null ? null : url + project.HealthPath);
            _processes.Add(process);
            process.Start();
            Urls[name] = url;
        }
    }

    private void StartVite(ViteAppResource web)
    {
        var dir = Path.Combine(model.RepositoryRoot, web.Directory);
        var vite = Path.Combine(dir, "node_modules", "vite", "bin", "vite.js");
        if (!File.Exists(vite))
        {
            Notes[web.Name] = File.Exists(Path.Combine(dir, "package.json"))
                ? $"not started: run `npm ci` in {web.Directory} first"
                : $"not started: {web.Directory} has no package.json";
            return;
        }
        var port = LocalPostgres.FreePort();
        var psi = new ProcessStartInfo("node", [vite, "--port", port.ToString(), "--strictPort", "--host", "127.0.0.1"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir,
        };
        foreach (var reference in web.References.OfType<ProjectResource>())
            if (Urls.TryGetValue(reference.Name, out var refUrl)) psi.Environment[$"services__{reference.Name}__http__0"] = refUrl;
        var url = $"http://127.0.0.1:{port}";
        var process = new ManagedProcess(web.Name, psi, Path.Combine(LogDir, web.Name + ".log"), url + "/");
        _processes.Add(process);
        process.Start();
        Urls[web.Name] = url;
    }

    private string DllOf(ProjectResource project)
    {
        var dll = Path.Combine(model.RepositoryRoot, Path.GetDirectoryName(project.ProjectPath)!, "bin", options.Configuration, "net10.0", project.AssemblyName + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution (dotnet build) or drop --no-build.");
    }

    /// <summary>Dependencies first (WaitFor and references), declaration order otherwise.</summary>
    private IEnumerable<Resource> InStartOrder()
    {
        var done = new HashSet<Resource>();
        var order = new List<Resource>();
        void Visit(Resource r)
        {
            if (!done.Add(r)) return;
            foreach (var d in r.WaitsFor.Concat(r.References)) Visit(d);
            if (r is ProjectResource or ViteAppResource) order.Add(r);
        }
        foreach (var r in model.Resources) Visit(r);
        return order;
    }

    private async Task RunToEndAsync(string file, string[] args, string logName, CancellationToken ct, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = await Task.WhenAll(p.StandardOutput.ReadToEndAsync(ct), p.StandardError.ReadToEndAsync(ct));
        await p.WaitForExitAsync(ct);
        await File.WriteAllTextAsync(Path.Combine(LogDir, logName + ".log"), output[0] + output[1], ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{logName} failed ({p.ExitCode}): {output[0]}{output[1]}");
    }

    /// <summary>Reverse order: services first (they release their work on SIGTERM), then PostgreSQL, cleanly.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes)) await p.StopAsync(TimeSpan.FromSeconds(15));
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}

public sealed record LocalRunOptions(string StateDir, bool Build = true, bool UseLocalPostgres = true, string Configuration = "Debug");

/// <summary>Development credentials, generated on first run and kept in the state directory.</summary>
public sealed record DevCredentials(string ApiKey, string AdminUser, string AdminPassword)
{
    public static DevCredentials LoadOrCreate(string stateDir)
    {
        var file = Path.Combine(stateDir, "dev-credentials.json");
        if (File.Exists(file)) return JsonSerializer.Deserialize<DevCredentials>(File.ReadAllText(file))!;
        var created = new DevCredentials("dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)), "admin",
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9)));
        Directory.CreateDirectory(stateDir);
        File.WriteAllText(file, JsonSerializer.Serialize(created));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return created;
    }
}
