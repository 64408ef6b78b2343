using System.Text;
using Autopack.Bench.Harness;

namespace Autopack.Bench;

/// <summary>Runs benchmarks against one PostgreSQL server and writes the report with the machine, date and command.</summary>
public static class BenchmarkRunner
{
    public static async Task<int> RunAsync(IReadOnlyList<IBenchmark> benchmarks, BenchOptions options, string? output, string[] args)
    {
        await using var database = await BenchDatabase.StartAsync();
        var report = new StringBuilder();
        report.AppendLine("# Autopack benchmarks").AppendLine();
        report.AppendLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        report.AppendLine($"- machine: {MachineDescription()}");
        report.AppendLine($"- PostgreSQL: {await database.ServerVersionAsync()} (local, durable settings), loopback only");
        report.AppendLine($"- command: `dotnet run -c Release --project Autopack.Bench -- {string.Join(' ', args)}`");
        report.AppendLine($"- each figure is the median of {options.Rounds} rounds; ratios compare with a baseline measured in the same run").AppendLine();
        foreach (var benchmark in benchmarks)
        {
            Console.Error.WriteLine($"== {benchmark.Name}: {benchmark.Description}");
            foreach (var table in await benchmark.RunAsync(database, options))
            {
                var md = table.ToMarkdown();
                Console.WriteLine(md);
                report.AppendLine(md);
            }
        }
        if (output is not null)
        {
            // `dotnet run --project` starts in the project folder; a relative path means the repository root.
            var root = Core.Configuration.StatePaths.FindRepoRoot(AppContext.BaseDirectory) ?? Environment.CurrentDirectory;
            var path = Path.GetFullPath(output, root);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, report.ToString());
            Console.Error.WriteLine($"report written to {path}");
        }
        return 0;
    }

    private static string MachineDescription()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() : null;
        var memKb = File.Exists("/proc/meminfo")
            ? long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) : 0;
        return $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memKb / 1024 / 1024} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
