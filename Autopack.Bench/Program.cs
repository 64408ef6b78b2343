using System.CommandLine;
using Autopack.Bench;
using Autopack.Bench.Harness;

if (args is [BaselineServer.Verb, var url]) return await BaselineServer.RunAsync(url);
if (args is [SseFloorServer.Verb, var floorUrl]) return await SseFloorServer.RunAsync(floorUrl);

var rounds = new Option<int>("--rounds") { Description = "rounds per figure (the median is reported)", DefaultValueFactory = _ => 3 };
var seconds = new Option<double>("--seconds") { Description = "length of one HTTP load round", DefaultValueFactory = _ => 3 };
var repo = new Option<string?>("--repo") { Description = "phase: only this target repository (small, or large for the 50,000-file one)" };
var output = new Option<string?>("--output") { Description = "also write the Markdown report to this file (e.g. docs/benchmarks.md)" };

var root = new RootCommand("Autopack benchmarks: real PostgreSQL, real processes, loopback only. Each figure is a median of rounds with its baseline from the same run.");
foreach (var benchmark in BenchmarkCatalog.All)
{
    var command = new Command(benchmark.Name, benchmark.Description) { rounds, seconds, repo, output };
    command.SetAction(async (parse, ct) => await BenchmarkRunner.RunAsync([benchmark],
        new BenchOptions(parse.GetValue(rounds), parse.GetValue(seconds), parse.GetValue(repo)), parse.GetValue(output), args));
    root.Subcommands.Add(command);
}
var all = new Command("all", "every benchmark, in order") { rounds, seconds, output };
all.SetAction(async (parse, ct) => await BenchmarkRunner.RunAsync(BenchmarkCatalog.All, new BenchOptions(parse.GetValue(rounds), parse.GetValue(seconds)), parse.GetValue(output), args));
root.Subcommands.Add(all);

return await root.Parse(args).InvokeAsync();
