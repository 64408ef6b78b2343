using System.Text.RegularExpressions;
using Autopack.Core.Configuration;
using YamlDotNet.RepresentationModel;

namespace Autopack.Tests.Deploy;

/// <summary>
/// The production profile of the committed Compose and Kubernetes output (which PublishTests proves is what the
/// AppHost generates now): only the front door reachable from outside, resource limits, restart policies and health
/// checks everywhere, AUTOPACK_ENV=production, and secrets only from files.
/// </summary>
[Trait("Category", "Unit")]
public class ProductionProfileTests
{
    private static readonly string Repo = StatePaths.FindRepoRoot(AppContext.BaseDirectory)!;
    private static readonly string[] AutopackServices = ["migrate", "api", "executor", "outboxworker"];

    /// <summary>A variable that carries a secret by its name (the name is what an operator would put a secret in).</summary>
    private static bool NamesASecret(string variable) =>
        Regex.IsMatch(variable, "PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|DATABASE_URL|CONNECTIONSTRINGS", RegexOptions.IgnoreCase);

    private static YamlMappingNode ComposeServices()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Repo, "deploy", "compose", "docker-compose.yml"))));
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    private static bool Has(YamlNode node, string key) => ((YamlMappingNode)node).Children.ContainsKey(key);

    [Fact]
    public void Compose_publishes_only_the_front_door_and_every_service_is_limited_restarted_and_health_checked()
    {
        var services = ComposeServices();
        Assert.Equal(["postgres", "qdrant", "migrate", "api", "executor", "outboxworker", "web", "certbot", "backup"], services.Children.Keys.Select(k => k.ToString()));
        foreach (var (key, service) in services.Children)
        {
            var name = key.ToString();
            if (name == "web")
                Assert.Equal(["80:8080", "443:8443"], ((YamlSequenceNode)service["ports"]).Select(p => p.ToString()));
            else
                Assert.False(Has(service, "ports"), $"{name} must not publish a host port");
            Assert.True(Has(service, "cpus") && Has(service, "mem_limit"), $"{name} has no resource limits");
            Assert.Matches("^[0-9]+m$", service["mem_limit"].ToString());
            var restart = service["restart"].ToString();
            // The one-shot migration must not be restarted after it succeeded; everything else comes back.
            Assert.Equal(name == "migrate" ? "no" : "unless-stopped", restart);
            if (name != "migrate") Assert.True(Has(service, "healthcheck"), $"{name} has no health check");
            Assert.Equal(name is "certbot" or "backup" ? "ops" : null, Has(service, "profiles") ? string.Join(",", (YamlSequenceNode)service["profiles"]) : null);
        }
        Assert.Contains("6334", ((YamlSequenceNode)services["qdrant"]["expose"]).Select(p => p.ToString()));
        foreach (var name in new[] { "api", "executor" })
            Assert.Equal("http://qdrant:6334", services[name]["environment"]["QDRANT_URL"].ToString());
    }

    [Fact]
    public void Compose_runs_every_autopack_service_in_production_with_secrets_only_from_files()
    {
        var services = ComposeServices();
        foreach (var (key, service) in services.Children)
        {
            var name = key.ToString();
            var env = Has(service, "environment") ? ((YamlMappingNode)service["environment"]).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString()) : [];
            if (AutopackServices.Contains(name)) Assert.Equal("production", env["AUTOPACK_ENV"]);
            var mounted = Has(service, "secrets") ? ((YamlSequenceNode)service["secrets"]).Select(s => s.ToString()).ToHashSet() : [];
            foreach (var (variable, value) in env.Where(e => NamesASecret(e.Key)))
            {
                Assert.True(variable.EndsWith("_FILE"), $"{name}: {variable} carries a secret in the environment; use {variable}_FILE");
                var secret = Regex.Match(value, "^/run/secrets/([a-z_]+)$");
                Assert.True(secret.Success, $"{name}: {variable}={value} is not a mounted secret");
                Assert.Contains(secret.Groups[1].Value, mounted);
            }
        }
        // Qdrant takes its key from the environment only: the entrypoint reads it from the secret file.
        Assert.Contains("$(cat /run/secrets/qdrant_api_key)", string.Join(" ", (YamlSequenceNode)services["qdrant"]["entrypoint"]));
        Assert.Equal("/etc/nginx/templates-tls", services["web"]["environment"]["NGINX_ENVSUBST_TEMPLATE_DIR"].ToString());
    }

    private static List<YamlMappingNode> KubernetesDocuments()
    {
        var docs = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(Path.Combine(Repo, "deploy", "k8s"), "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml"))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(file)));
            docs.AddRange(yaml.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        return docs;
    }

    private static YamlMappingNode PodSpec(YamlMappingNode doc) => doc["kind"].ToString() switch
    {
        "Deployment" or "Job" => (YamlMappingNode)doc["spec"]["template"]["spec"],
        "CronJob" => (YamlMappingNode)doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => throw new ArgumentException(doc["kind"].ToString()),
    };

    [Fact]
    public void Kubernetes_containers_have_limits_probes_and_production_settings_and_take_secrets_only_as_files()
    {
        var docs = KubernetesDocuments();
        var workloads = docs.Where(d => d["kind"].ToString() is "Deployment" or "Job" or "CronJob").ToList();
        Assert.Equal(8, workloads.Count);
        foreach (var workload in workloads)
        {
            var kind = workload["kind"].ToString();
            var spec = PodSpec(workload);
            if (kind != "Deployment") Assert.Contains(spec["restartPolicy"].ToString(), new[] { "OnFailure", "Never" });
            foreach (YamlMappingNode container in (YamlSequenceNode)spec["containers"])
            {
                var where = $"{kind}/{workload["metadata"]["name"]}";
                Assert.True(Has(container["resources"], "limits") && Has(container["resources"], "requests"), $"{where} has no resource limits");
                Assert.True(Has(container["resources"]["limits"], "cpu") && Has(container["resources"]["limits"], "memory"), where);
                if (kind == "Deployment")
                    Assert.True(Has(container, "readinessProbe") && Has(container, "livenessProbe"), $"{where} has no health probes");
                if (Has(container, "ports"))
                    Assert.All((YamlSequenceNode)container["ports"], p => Assert.False(Has(p, "hostPort"), $"{where} binds a host port"));
                var env = Has(container, "env") ? ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToList() : [];
                Assert.All(env, e => Assert.False(Has(e, "valueFrom"), $"{where}: {e["name"]} comes from the environment; mount the secret as a file"));
                var values = env.ToDictionary(e => e["name"].ToString(), e => e["value"].ToString());
                foreach (var (variable, value) in values.Where(v => NamesASecret(v.Key)))
                {
                    Assert.True(variable.EndsWith("_FILE"), $"{where}: {variable} carries a secret in the environment");
                    Assert.StartsWith("/run/secrets/autopack/", value);
                }
                if (container["image"].ToString().StartsWith("autopack-") && container["name"].ToString() != "web")
                    Assert.Equal("production", values["AUTOPACK_ENV"]);
                if (values.TryGetValue("QDRANT_URL", out var qdrant)) Assert.Equal("http://qdrant:6334", qdrant);
            }
        }
    }

    [Fact]
    public void The_executor_may_run_its_test_sandbox_without_privilege_in_both_outputs()
    {
        // bubblewrap needs user namespaces and an unmasked /proc: unconfined seccomp and AppArmor, never privileged.
        var executor = (YamlMappingNode)ComposeServices()["executor"];
        var options = ((YamlSequenceNode)executor["security_opt"]).Select(o => o.ToString()).ToList();
        Assert.Equal(["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"], options);
        Assert.False(Has(executor, "privileged") || Has(executor, "cap_add"));
        foreach (var other in AutopackServices.Where(s => s != "executor"))
            Assert.False(Has(ComposeServices()[other], "security_opt"), $"{other} has no sandbox and keeps Docker's default profiles");

        var deployment = KubernetesDocuments().Single(d => d["kind"].ToString() == "Deployment" && d["metadata"]["name"].ToString() == "executor");
        var pod = PodSpec(deployment);
        Assert.Equal("false", pod["hostUsers"].ToString());
        var context = (YamlMappingNode)((YamlSequenceNode)pod["containers"])[0]["securityContext"];
        Assert.Equal("Unconfined", context["seccompProfile"]["type"].ToString());
        Assert.Equal("Unconfined", context["appArmorProfile"]["type"].ToString());
        Assert.Equal("Unmasked", context["procMount"].ToString());
        Assert.Equal("false", context["allowPrivilegeEscalation"].ToString());
        Assert.Equal("ALL", ((YamlSequenceNode)context["capabilities"]["drop"])[0].ToString());
        Assert.False(context.Children.ContainsKey("privileged"));
    }

    [Fact]
    public void Kubernetes_is_reached_only_through_the_tls_ingress_and_backs_up_nightly_with_the_compose_script()
    {
        var docs = KubernetesDocuments();
        // No NodePort or LoadBalancer: PostgreSQL and Qdrant (and everything else) are cluster-internal.
        Assert.All(docs.Where(d => d["kind"].ToString() == "Service"), s => Assert.Equal("ClusterIP", s["spec"]["type"].ToString()));
        var ingress = docs.Single(d => d["kind"].ToString() == "Ingress");
        Assert.Equal("autopack-tls", ingress["spec"]["tls"][0]["secretName"].ToString());
        Assert.Equal(ingress["spec"]["tls"][0]["hosts"][0].ToString(), ingress["spec"]["rules"][0]["host"].ToString());
        Assert.Equal("letsencrypt", ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"].ToString());
        Assert.Equal("off", ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"].ToString());
        var web = docs.Single(d => d["kind"].ToString() == "Service" && d["metadata"]["name"].ToString() == "web");
        Assert.Equal("http", ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["name"].ToString());
        Assert.Equal("http", web["spec"]["ports"][0]["name"].ToString());

        var cron = docs.Single(d => d["kind"].ToString() == "CronJob");
        Assert.Equal("Forbid", cron["spec"]["concurrencyPolicy"].ToString());
        var container = PodSpec(cron)["containers"][0];
        Assert.Equal(["/bin/sh", "/backup/backup.sh"], ((YamlSequenceNode)container["command"]).Select(c => c.ToString()));
        var scripts = docs.Single(d => d["kind"].ToString() == "ConfigMap" && d["metadata"]["name"].ToString() == "autopack-backup");
        foreach (var script in new[] { "backup.sh", "restore.sh" })
            Assert.Equal(File.ReadAllText(Path.Combine(Repo, "deploy", "compose", "backup", script)), scripts["data"][script].ToString());

        // kubectl apply -k applies everything but the example secret, which would overwrite the real one.
        var kustomization = new YamlStream();
        kustomization.Load(new StringReader(File.ReadAllText(Path.Combine(Repo, "deploy", "k8s", "kustomization.yaml"))));
        var resources = ((YamlSequenceNode)kustomization.Documents[0].RootNode["resources"]).Select(r => r.ToString()).ToList();
        var files = Directory.GetFiles(Path.Combine(Repo, "deploy", "k8s"), "*.yaml").Select(Path.GetFileName).Where(f => f is not ("kustomization.yaml" or "01-secrets.yaml")).Order();
        Assert.Equal(files, resources);
    }
}
