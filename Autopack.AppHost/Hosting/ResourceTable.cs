using Spectre.Console;

namespace Autopack.AppHost.Hosting;

/// <summary>The live terminal view of a local run: one row per resource with state, health, URL and restarts.</summary>
public static class ResourceTable
{
    public static Table Render(LocalOrchestrator run)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Autopack[/] (Ctrl-C stops everything)");
        table.AddColumns("resource", "state", "health", "url", "restarts");
        foreach (var (name, note) in run.Notes.Where(n => run.Processes.All(p => p.Name != n.Key)))
            table.AddRow(name, Markup.Escape(note.StartsWith("not") ? "not started" : "running"), "", Markup.Escape(run.Urls.GetValueOrDefault(name) ?? note), "");
        foreach (var p in run.Processes)
        {
            var health = p.Health switch { "healthy" => "[green]healthy[/]", "n/a" => "", var h => $"[yellow]{Markup.Escape(h)}[/]" };
            table.AddRow(p.Name, Markup.Escape(p.State), health, Markup.Escape(run.Urls.GetValueOrDefault(p.Name) ?? ""), p.Restarts.ToString());
        }
        table.Caption($"logs: {Markup.Escape(run.LogDir)}");
        return table;
    }
}
