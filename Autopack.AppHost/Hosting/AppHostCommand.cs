using System.CommandLine;
using System.Runtime.InteropServices;
using Autopack.AppHost.Publishing;
using Spectre.Console;

namespace Autopack.AppHost.Hosting;

/// <summary>The AppHost's verbs: run (default), the Aspire manifest publisher, and publish compose|k8s.</summary>
public static class AppHostCommand
{
    public static async Task<int> InvokeAsync(DistributedApplicationBuilder model)
    {
        var args = model.Args.SkipWhile(a => a == "--").ToArray();
        var publisher = new Option<string?>("--publisher") { Description = "manifest: write the Aspire manifest (as azd and aspirate call it)" };
        var outputPath = new Option<string?>("--output-path") { Description = "where the manifest goes" };
        var noBuild = new Option<bool>("--no-build") { Description = "run the existing build output" };
        var stateDir = new Option<string?>("--state-dir") { Description = "state directory (default .autopack/ in the repository)" };
        var root = new RootCommand("Autopack AppHost: runs every Autopack service locally, or publishes the deployment.") { publisher, outputPath, noBuild, stateDir };
        root.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(publisher) is { } p)
            {
                if (p != "manifest") { Console.Error.WriteLine($"Unknown publisher '{p}': only 'manifest' is supported."); return 2; }
                var path = parse.GetValue(outputPath) ?? Path.Combine(model.RepositoryRoot, "aspire-manifest.json");
                await File.WriteAllTextAsync(path, ManifestPublisher.Render(model, path), ct);
                Console.WriteLine($"Wrote the Aspire manifest to {Path.GetFullPath(path)}");
                return 0;
            }
            var state = parse.GetValue(stateDir) ?? Environment.GetEnvironmentVariable("AUTOPACK_STATE_DIR") ?? Path.Combine(model.RepositoryRoot, ".autopack");
            return await RunAsync(model, new LocalRunOptions(Path.GetFullPath(state), Build: !parse.GetValue(noBuild)));
        });

        var target = new Argument<string>("target") { Description = "compose or k8s" };
        var output = new Option<string?>("--output") { Description = "output directory (default deploy/<target>)" };
        var publish = new Command("publish", "write docker-compose or Kubernetes files") { target, output };
        publish.SetAction(async (parse, ct) =>
        {
            var t = parse.GetValue(target);
            IReadOnlyDictionary<string, string> files = t switch
            {
                "compose" => ComposePublisher.Render(model),
                "k8s" => KubernetesPublisher.Render(model),
                _ => throw new ArgumentException($"Unknown target '{t}': use compose or k8s."),
            };
            var dir = parse.GetValue(output) ?? Path.Combine(model.RepositoryRoot, "deploy", t);
            Directory.CreateDirectory(dir);
            foreach (var (name, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, name))!);
                await File.WriteAllTextAsync(Path.Combine(dir, name), content, ct);
            }
            Console.WriteLine($"Wrote {files.Count} file(s) to {Path.GetFullPath(dir)}");
            return 0;
        });
        root.Subcommands.Add(publish);
        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> RunAsync(DistributedApplicationBuilder model, LocalRunOptions options)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        await using var run = new LocalOrchestrator(model, options);
        try
        {
            AnsiConsole.MarkupLine($"[bold]Starting Autopack[/] (state in {Markup.Escape(options.StateDir)})");
            await run.StartAsync(stop.Token);
            foreach (var (name, note) in run.Notes) AnsiConsole.MarkupLine($"  {name}: {Markup.Escape(note)}");
            var dashboard = run.Urls.GetValueOrDefault("web") ?? run.Urls.GetValueOrDefault("api");
            AnsiConsole.MarkupLine($"[bold green]Dashboard:[/] {Markup.Escape(dashboard ?? "-")}   [bold]API:[/] {Markup.Escape(run.Urls.GetValueOrDefault("api") ?? "-")}");
            AnsiConsole.MarkupLine($"  sign in as [bold]{run.Credentials.AdminUser}[/] / {Markup.Escape(run.Credentials.AdminPassword)}; API key: {Markup.Escape(run.Credentials.ApiKey)}");
            if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
            {
                await AnsiConsole.Live(ResourceTable.Render(run)).StartAsync(async ctx =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        ctx.UpdateTarget(ResourceTable.Render(run));
                        try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
                    }
                });
            }
            else
            {
                var last = "";
                while (!stop.IsCancellationRequested)
                {
                    var now = string.Join(", ", run.Processes.Select(p => $"{p.Name}={p.State}/{p.Health}/restarts {p.Restarts}"));
                    if (now != last) Console.WriteLine(now);
                    last = now;
                    try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
                }
            }
            AnsiConsole.MarkupLine("[bold]Stopping…[/]");
            return 0;
        }
        catch (OperationCanceledException) { return 0; }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return 1;
        }
    }
}
