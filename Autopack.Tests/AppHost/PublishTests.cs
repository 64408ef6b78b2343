using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Autopack.Core.Configuration;
using Autopack.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Autopack.Tests.AppHost;

/// <summary>
/// The AppHost's publish output, produced the way azd, aspirate and operators produce it: the built AppHost run with
/// Aspire's <c>--publisher manifest</c>, and with <c>--operation publish</c> for the Compose and Kubernetes steps.
/// </summary>
[Trait("Category", "Process")]
public class PublishTests
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
    private static readonly string Reference = Path.Combine(AppContext.BaseDirectory, "Reference", "aspire-manifest");
    private static readonly string Schema = Path.Combine(Reference, "aspire-manifest-schema-v9.5.2.json");

    /// <summary>Aspire's own manifest, written beside the committed one (so relative project paths match) and read back.</summary>
    private static async Task<string> PublishManifestAsync()
    {
        var path = Path.Combine(Repo, $"aspire-manifest.check-{Guid.NewGuid():N}.json");
        try
        {
            await RunAppHostAsync("--publisher", "manifest", "--output-path", path);
            return await File.ReadAllTextAsync(path);
        }
        finally { File.Delete(path); }
    }

    private static readonly Lazy<Task<string>> Manifest = new(PublishManifestAsync);
    private static readonly Lazy<Task<string>> DeployOutput = new(() => PublishDeploymentAsync("publish"));

    private static async Task<string> PublishDeploymentAsync(string step)
    {
        var dir = Directory.CreateTempSubdirectory("autopack-publish-").FullName;
        await RunAppHostAsync("--operation", "publish", "--step", step, "--output-path", dir);
        return dir;
    }

    private static async Task RunAppHostAsync(params string[] args)
    {
        await using var apphost = ServiceProcess.Start("Autopack.AppHost", new Dictionary<string, string?>(), args);
        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromMinutes(2)), "the AppHost did not finish publishing: " + apphost.Output);
        Assert.True(apphost.ExitCode == 0, $"the AppHost failed to publish ({apphost.ExitCode}): {apphost.Output}");
    }

    [Fact]
    public async Task Manifest_validates_against_the_official_aspire_9_5_schema()
    {
        Assert.True(File.Exists(Schema), $"vendored schema missing at {Schema}");
        var manifest = await Manifest.Value;
        var (ok, report) = await ValidateAsync(Schema, manifest);
        Assert.True(ok, report);
        // The validator is known good: Aspire's own example manifests pass, and a broken manifest is refused.
        foreach (var example in Directory.GetFiles(Reference, "aspire-manifest-example-*-v9.5.2.json"))
            Assert.True((await ValidateAsync(Schema, await File.ReadAllTextAsync(example))).Ok, example);
        var broken = JsonNode.Parse(manifest)!;
        broken["resources"]!["api"]!.AsObject().Remove("path");
        Assert.False((await ValidateAsync(Schema, broken.ToJsonString())).Ok);
        broken = JsonNode.Parse(manifest)!;
        broken["resources"]!["executor"]!["env"] = 42;
        Assert.False((await ValidateAsync(Schema, broken.ToJsonString())).Ok);
    }

    private static Task<(bool Ok, string Report)> ValidateAsync(string schemaPath, string manifest) => JsonSchemaCheck.ValidateAsync(schemaPath, manifest);

    [Fact]
    public async Task Manifest_uses_only_types_azd_and_aspirate_accept_and_every_reference_resolves()
    {
        var manifest = JsonNode.Parse(await Manifest.Value)!;
        var resources = manifest["resources"]!.AsObject();
        string[] accepted = ["project.v0", "container.v0", "container.v1", "dockerfile.v0", "parameter.v0", "value.v0"];
        foreach (var (name, r) in resources) Assert.Contains(r!["type"]!.GetValue<string>(), accepted);
        Assert.Equal(["api", "autopack", "executor", "migrations", "outboxworker", "postgres", "postgres-password", "qdrant", "qdrant-Key", "web"],
            resources.Select(r => r.Key).Order());
        foreach (var secret in new[] { "postgres-password", "qdrant-Key" })
        {
            var input = resources[secret]!["inputs"]!["value"]!;
            Assert.True(input["secret"]!.GetValue<bool>());
            Assert.True(input["default"]!["generate"]!["minLength"]!.GetValue<int>() >= 22);
        }
        // Pinned as the deployment guides require (Aspire's default PostgreSQL image is a newer major).
        Assert.Equal("docker.io/library/postgres:15", resources["postgres"]!["image"]!.GetValue<string>());
        Assert.Equal(["migrate"], resources["migrations"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        // Services get connection strings and service URLs only: no Aspire per-property variables in Autopack's AUTOPACK_* space.
        foreach (var service in new[] { "migrations", "api", "executor", "outboxworker" })
            Assert.DoesNotContain(resources[service]!["env"]!.AsObject(), e => e.Key.StartsWith("AUTOPACK_"));
        Assert.Equal("{autopack.connectionString}", resources["api"]!["env"]!["ConnectionStrings__autopack"]!.GetValue<string>());
        Assert.Equal("{qdrant.connectionString}", resources["executor"]!["env"]!["ConnectionStrings__qdrant"]!.GetValue<string>());
        Assert.Equal("Endpoint={qdrant.bindings.grpc.url};Key={qdrant-Key.value}", resources["qdrant"]!["connectionString"]!.GetValue<string>());
        Assert.Equal(8080, resources["web"]!["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        var text = manifest.ToJsonString();
        var references = Regex.Matches(text, @"\{([A-Za-z0-9-]+)\.([A-Za-z0-9.]+)\}").Select(m => (Resource: m.Groups[1].Value, Path: m.Groups[2].Value)).Distinct().ToList();
        Assert.NotEmpty(references);
        foreach (var (resource, path) in references)
        {
            Assert.True(resources.ContainsKey(resource), $"{{{resource}.{path}}} names no resource");
            var r = resources[resource]!;
            var parts = path.Split('.');
            switch (parts[0])
            {
                case "connectionString": Assert.NotNull(r["connectionString"]); break;
                case "value": Assert.NotNull(r["value"]); break;
                case "inputs": Assert.NotNull(r["inputs"]![parts[1]]); break;
                case "bindings":
                    Assert.True(r["bindings"]?[parts[1]] is not null, $"{resource} has no binding {parts[1]}");
                    Assert.Contains(parts[2], new[] { "url", "host", "port", "targetPort" });
                    break;
                default: Assert.Fail($"unknown reference {{{resource}.{path}}}"); break;
            }
        }
        foreach (var project in new[] { "api", "executor", "outboxworker", "migrations" })
            Assert.True(File.Exists(Path.Combine(Repo, resources[project]!["path"]!.GetValue<string>())));
        Assert.True(File.Exists(Path.Combine(Repo, resources["web"]!["build"]!["dockerfile"]!.GetValue<string>())));
    }

    [Fact]
    public async Task The_committed_manifest_and_deploy_files_are_what_the_apphost_generates_now()
    {
        Assert.True(await Manifest.Value == await File.ReadAllTextAsync(Path.Combine(Repo, "aspire-manifest.json")),
            "aspire-manifest.json is stale: run `dotnet run --project Autopack.AppHost -- --publisher manifest --output-path ../aspire-manifest.json`");
        var output = await DeployOutput.Value;
        foreach (var dir in new[] { "compose", "k8s" })
        {
            var generated = Directory.GetFiles(Path.Combine(output, dir), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(output, dir), f)).Order().ToList();
            Assert.NotEmpty(generated);
            foreach (var name in generated)
                Assert.True(await File.ReadAllTextAsync(Path.Combine(output, dir, name)) == await File.ReadAllTextAsync(Path.Combine(Repo, "deploy", dir, name)),
                    $"deploy/{dir}/{name} is stale: run `dotnet run --project Autopack.AppHost -- --operation publish --step publish --output-path ../deploy`");
        }
    }

    [Fact]
    public async Task The_apphost_is_an_aspire_host_that_azd_finds_and_every_service_image_runs_as_non_root()
    {
        Assert.Contains("<Project Sdk=\"Aspire.AppHost.Sdk/13.6.4\">", await File.ReadAllTextAsync(Path.Combine(Repo, "Autopack.AppHost", "Autopack.AppHost.csproj")));
        // azd asks MSBuild exactly this to find the AppHost.
        var psi = new ProcessStartInfo("dotnet", ["msbuild", Path.Combine(Repo, "Autopack.AppHost", "Autopack.AppHost.csproj"), "-getProperty:IsAspireHost", "-nologo"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var msbuild = Process.Start(psi)!)
        {
            var answer = await msbuild.StandardOutput.ReadToEndAsync();
            await msbuild.WaitForExitAsync();
            Assert.Equal("true", answer.Trim());
        }
        foreach (var dockerfile in new[] { "Autopack.Api/Dockerfile", "Autopack.Executor/Dockerfile", "Autopack.OutboxWorker/Dockerfile", "Autopack.Web/Dockerfile" })
            Assert.Matches(@"(?m)^USER\s+\S+", await File.ReadAllTextAsync(Path.Combine(Repo, dockerfile)));
    }

    [Fact]
    public async Task Docker_compose_accepts_the_generated_file()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-compose-").FullName;
        var composeDir = Path.Combine(Repo, "deploy", "compose");
        var secrets = Path.Combine(composeDir, "secrets");
        var created = !Directory.Exists(secrets);
        Directory.CreateDirectory(secrets);
        try
        {
            foreach (var s in new[] { "postgres_password", "qdrant_api_key", "database_url", "autopack_api_key", "jwt_private_key", "jwt_public_key" })
                if (!File.Exists(Path.Combine(secrets, s))) await File.WriteAllTextAsync(Path.Combine(secrets, s), "test");
            var psi = new ProcessStartInfo("docker-compose", ["-f", Path.Combine(composeDir, "docker-compose.yml"), "config"])
                { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = composeDir };
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, output);
            Assert.Contains("80", output);
        }
        finally
        {
            if (created) Directory.Delete(secrets, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(composeDir, "docker-compose.yml"))));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        foreach (var internalOnly in new[] { "postgres", "qdrant", "api", "executor", "outboxworker" })
            Assert.False(((YamlMappingNode)services[internalOnly]).Children.ContainsKey("ports"), $"{internalOnly} must not publish a host port");
        Assert.Contains("15", services["postgres"]["image"].ToString());
        Assert.Contains("v1.12", services["qdrant"]["image"].ToString());
    }

    [Fact]
    public async Task Kubernetes_output_passes_the_offline_schema_check_and_a_broken_manifest_does_not()
    {
        var dir = Directory.CreateTempSubdirectory("autopack-k8s-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(await DeployOutput.Value, "k8s")))
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            var (code, output) = await ValidateKubernetesAsync(dir);
            Assert.True(code == 0, output);
            Assert.Matches(@"\d+ document\(s\) checked, 0 problem\(s\)", output);

            // Not vacuous: a probe period that is not a number and a Deployment without its selector are refused.
            var api = Path.Combine(dir, "30-api.yaml");
            var text = await File.ReadAllTextAsync(api);
            Assert.Contains("periodSeconds: 10 }", text);
            await File.WriteAllTextAsync(api, text.Replace("periodSeconds: 10 }", "periodSeconds: ten }"));
            await File.WriteAllTextAsync(Path.Combine(dir, "99-broken.yaml"),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  template:\n    spec:\n      containers: []\n");
            (code, output) = await ValidateKubernetesAsync(dir);
            Assert.Equal(1, code);
            Assert.Contains("Deployment/api", output);
            Assert.Contains("Deployment/broken", output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static async Task<(int Code, string Output)> ValidateKubernetesAsync(string dir)
    {
        var tool = Path.Combine(Repo, "deploy", "validate");
        Assert.True(Directory.Exists(Path.Combine(tool, "node_modules")), "deploy/validate/node_modules is missing: run `npm ci` there (test.sh does)");
        var psi = new ProcessStartInfo("node", [Path.Combine(tool, "validate-k8s.mjs"), dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Kubernetes_output_parses_and_keeps_the_deployment_invariants()
    {
        var docs = new List<YamlMappingNode>();
        // kustomization.yaml is kustomize's input, not a cluster object.
        foreach (var content in Directory.GetFiles(Path.Combine(await DeployOutput.Value, "k8s")).Where(f => Path.GetFileName(f) != "kustomization.yaml").Select(File.ReadAllText))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(content));
            docs.AddRange(yaml.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        foreach (var d in docs)
        {
            Assert.True(d.Children.ContainsKey("apiVersion") && d.Children.ContainsKey("kind") && d.Children.ContainsKey("metadata"));
        }
        YamlMappingNode Deployment(string name) => docs.Single(d => d["kind"].ToString() == "Deployment" && d["metadata"]["name"].ToString() == name);
        var outbox = Deployment("outboxworker");
        Assert.Equal("1", outbox["spec"]["replicas"].ToString());
        Assert.Equal("Recreate", outbox["spec"]["strategy"]["type"].ToString());
        foreach (var name in new[] { "api", "executor", "outboxworker", "web", "postgres", "qdrant" })
        {
            var container = (YamlMappingNode)((YamlSequenceNode)Deployment(name)["spec"]["template"]["spec"]["containers"])[0];
            Assert.True(container.Children.ContainsKey("readinessProbe"), $"{name} has no readiness probe");
            Assert.True(container.Children.ContainsKey("livenessProbe"), $"{name} has no liveness probe");
        }
        Assert.Contains(docs, d => d["kind"].ToString() == "Job" && d["spec"]["template"]["spec"]["containers"][0]["args"][0].ToString() == "migrate");
        Assert.Equal(3, docs.Count(d => d["kind"].ToString() == "PersistentVolumeClaim"));
        Assert.Contains(docs, d => d["kind"].ToString() == "Secret");
        Assert.Equal(6, docs.Count(d => d["kind"].ToString() == "Service"));
    }
}
