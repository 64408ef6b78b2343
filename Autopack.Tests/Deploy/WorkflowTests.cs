using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Autopack.Core.Configuration;
using Autopack.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Autopack.Tests.Deploy;

/// <summary>
/// The GitHub Actions workflows cannot run here, so they are checked offline: against GitHub's workflow JSON schema
/// (vendored from SchemaStore, Reference/github-workflow/), and against the repository: every Dockerfile CI builds
/// exists, every Dockerfile is built, and the images it pushes are exactly the ones the Compose and Kubernetes output pulls.
/// </summary>
[Trait("Category", "Process")]
public class WorkflowTests
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
    private static readonly string Schema = Path.Combine(AppContext.BaseDirectory, "Reference", "github-workflow", "github-workflow.json");
    private static string Workflow(string name) => Path.Combine(Repo, ".github", "workflows", name);

    [Theory]
    [InlineData("ci.yml")]
    [InlineData("deploy.yml")]
    public async Task The_workflow_validates_against_the_github_workflow_schema_and_a_broken_copy_does_not(string file)
    {
        Assert.True(File.Exists(Schema), $"vendored schema missing at {Schema}");
        var workflow = YamlToJson.Convert(await File.ReadAllTextAsync(Workflow(file)))!;
        var (ok, report) = await JsonSchemaCheck.ValidateAsync(Schema, workflow.ToJsonString());
        Assert.True(ok, report);

        // Not vacuous: a job without runs-on, and a step with an unknown key, are refused.
        var broken = workflow.DeepClone();
        var job = broken["jobs"]!.AsObject().First().Value!.AsObject();
        job.Remove("runs-on");
        Assert.False((await JsonSchemaCheck.ValidateAsync(Schema, broken.ToJsonString())).Ok);
        broken = workflow.DeepClone();
        broken["jobs"]!.AsObject().First().Value!["steps"]![0]!["uses-typo"] = "actions/checkout@v4";
        Assert.False((await JsonSchemaCheck.ValidateAsync(Schema, broken.ToJsonString())).Ok);
    }

    private sealed record BuiltImage(string Image, string Context, string Dockerfile);

    private static async Task<(JsonNode Workflow, List<BuiltImage> Images)> CiAsync()
    {
        var ci = YamlToJson.Convert(await File.ReadAllTextAsync(Workflow("ci.yml")))!;
        var images = ci["jobs"]!["images"]!["strategy"]!["matrix"]!["include"]!.AsArray()
            .Select(i => new BuiltImage(i!["image"]!.GetValue<string>(), i["context"]!.GetValue<string>(), i["dockerfile"]!.GetValue<string>())).ToList();
        return (ci, images);
    }

    [Fact]
    public async Task Ci_runs_the_test_suite_first_then_builds_every_dockerfile_and_pushes_main_and_sha_tags()
    {
        var (ci, images) = await CiAsync();
        var testSteps = ci["jobs"]!["test"]!["steps"]!.AsArray().Select(s => s!["run"]?.GetValue<string>() ?? "").ToList();
        Assert.Contains(testSteps, run => run.Contains("bash .ci/run"));
        Assert.Equal("test", ci["jobs"]!["images"]!["needs"]!.GetValue<string>());
        Assert.Contains("refs/heads/main", ci["jobs"]!["images"]!["if"]!.GetValue<string>());

        foreach (var image in images)
        {
            Assert.True(File.Exists(Path.Combine(Repo, image.Dockerfile)), $"{image.Image}: {image.Dockerfile} does not exist");
            Assert.True(Directory.Exists(Path.Combine(Repo, image.Context)), $"{image.Image}: context {image.Context} does not exist");
            // The Dockerfile's own comment says which context it is built from; CI must use that one.
            var usage = await File.ReadAllTextAsync(Path.Combine(Repo, image.Dockerfile));
            Assert.Contains(image.Context == "." ? "docker build -f " + image.Dockerfile + " ." : "docker build -t " + image.Image + " " + image.Context, usage);
        }
        var everyDockerfile = Directory.GetFiles(Repo, "Dockerfile", SearchOption.AllDirectories)
            .Where(f => !f.Contains("node_modules") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => Path.GetRelativePath(Repo, f)).Order();
        Assert.Equal(everyDockerfile, images.Select(i => i.Dockerfile).Order());

        var push = ci["jobs"]!["images"]!["steps"]!.AsArray().Single(s => s!["uses"]?.GetValue<string>().StartsWith("docker/build-push-action@") == true)!;
        Assert.True(push["with"]!["push"]!.GetValue<bool>());
        Assert.Equal("${{ matrix.dockerfile }}", push["with"]!["file"]!.GetValue<string>());
        Assert.Equal("${{ matrix.context }}", push["with"]!["context"]!.GetValue<string>());
        var tags = push["with"]!["tags"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["${{ env.REGISTRY }}/${{ matrix.image }}:main", "${{ env.REGISTRY }}/${{ matrix.image }}:sha-${{ github.sha }}"], tags);
    }

    [Fact]
    public async Task Every_image_ci_pushes_is_one_the_compose_and_kubernetes_output_pulls_and_nothing_else_is()
    {
        var (_, images) = await CiAsync();
        var pushed = images.Select(i => i.Image).Order().ToList();

        var compose = new YamlStream();
        compose.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(Repo, "deploy", "compose", "docker-compose.yml"))));
        var services = (YamlMappingNode)((YamlMappingNode)compose.Documents[0].RootNode)["services"];
        var composeImages = services.Children.Select(s => ((YamlMappingNode)s.Value)["image"].ToString()).ToList();
        var ours = composeImages.Where(i => i.StartsWith("${AUTOPACK_REGISTRY:-autopack}/")).ToList();
        Assert.All(ours, i => Assert.EndsWith(":${AUTOPACK_TAG:-main}", i));
        Assert.Equal(pushed, ours.Select(i => Regex.Match(i, @"/(autopack-[a-z]+):").Groups[1].Value).Distinct().Order());
        // Everything else comes from an upstream registry, pinned.
        Assert.All(composeImages.Except(ours), i => Assert.Matches(@"^docker\.io/[a-z]+/[a-z]+:v?[0-9][0-9.]*$", i));

        var k8sImages = Directory.GetFiles(Path.Combine(Repo, "deploy", "k8s"), "*.yaml")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"(?m)^\s+image: (\S+)$").Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.Equal(pushed, k8sImages.Where(i => i.StartsWith("autopack-")).Select(i => i.Split(':')[0]).Distinct().Order());

        // The overlay the deploy workflow applies points every one of them at the registry and the tag.
        var overlay = Directory.CreateTempSubdirectory("autopack-overlay-").FullName;
        try
        {
            var (code, output) = await RunAsync(Path.Combine(Repo, "deploy", "release-overlay.sh"), "ghcr.io/acme", "sha-0123456789abcdef0123456789abcdef01234567", "autopack.acme.test", overlay);
            Assert.True(code == 0, output);
            var kustomization = YamlToJson.Convert(await File.ReadAllTextAsync(Path.Combine(overlay, "kustomization.yaml")))!;
            var rewritten = kustomization["images"]!.AsArray().Select(i => (Name: i!["name"]!.GetValue<string>(), NewName: i["newName"]!.GetValue<string>(), Tag: i["newTag"]!.GetValue<string>())).ToList();
            Assert.Equal(pushed, rewritten.Select(i => i.Name).Order());
            Assert.All(rewritten, i => Assert.Equal(("ghcr.io/acme/" + i.Name, "sha-0123456789abcdef0123456789abcdef01234567"), (i.NewName, i.Tag)));
            var resource = kustomization["resources"]![0]!.GetValue<string>();
            Assert.Equal(Path.Combine(Repo, "deploy", "k8s"), Path.GetFullPath(Path.Combine(overlay, resource)));
            Assert.Contains("value: autopack.acme.test", kustomization["patches"]![0]!["patch"]!.GetValue<string>());

            // A tag CI never pushes is refused before anything is written.
            (code, output) = await RunAsync(Path.Combine(Repo, "deploy", "release-overlay.sh"), "ghcr.io/acme", "latest", "autopack.acme.test", Path.Combine(overlay, "other"));
            Assert.Equal(2, code);
            Assert.Contains("TAG must be main or sha-<commit>", output);
            Assert.False(Directory.Exists(Path.Combine(overlay, "other")));
        }
        finally { Directory.Delete(overlay, recursive: true); }
    }

    [Fact]
    public async Task The_deploy_workflow_is_manual_takes_a_tag_and_runs_the_release_scripts_that_exist()
    {
        var deploy = YamlToJson.Convert(await File.ReadAllTextAsync(Workflow("deploy.yml")))!;
        Assert.Equal(["workflow_dispatch"], deploy["on"]!.AsObject().Select(t => t.Key));
        var tag = deploy["on"]!["workflow_dispatch"]!["inputs"]!["tag"]!;
        Assert.True(tag["required"]!.GetValue<bool>());
        Assert.False(deploy["concurrency"]!["cancel-in-progress"]!.GetValue<bool>());
        var runs = string.Join("\n", deploy["jobs"]!["deploy"]!["steps"]!.AsArray().Select(s => s!["run"]?.GetValue<string>() ?? ""));
        foreach (var script in Regex.Matches(runs, @"(?:deploy/|\.\./)([a-z-]+\.sh)").Select(m => m.Groups[1].Value).Distinct())
            Assert.True(File.Exists(Path.Combine(Repo, "deploy", script)), $"deploy.yml runs {script}, which does not exist");
        Assert.Contains("release-overlay.sh", runs);
        Assert.Contains("compose-release.sh", runs);
        Assert.Contains("kubectl apply -k deploy/overlays/release", runs);
    }

    [Fact]
    public async Task The_compose_release_refuses_a_tag_ci_never_pushes_before_touching_the_server()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-release-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, ".env"), "AUTOPACK_TAG=sha-0123456789abcdef\n");
            var psi = new ProcessStartInfo("sh", [Path.Combine(Repo, "deploy", "compose-release.sh"), "ghcr.io/acme", "latest"])
                { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(2, p.ExitCode);
            Assert.Contains("TAG must be main or sha-<commit>", output);
            Assert.Equal("AUTOPACK_TAG=sha-0123456789abcdef\n", await File.ReadAllTextAsync(Path.Combine(dir, ".env")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo("sh", [file, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
