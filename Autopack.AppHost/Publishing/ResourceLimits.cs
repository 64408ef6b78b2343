namespace Autopack.AppHost.Publishing;

/// <summary>CPU and memory ceiling of one container, the same in the Compose and Kubernetes output.</summary>
public sealed record ResourceLimit(double Cpus, int MemoryMiB)
{
    /// <summary>Kubernetes requests: a quarter of the CPU and half of the memory limit, so a node can pack the idle services.</summary>
    public string CpuRequest => $"{(int)(Cpus * 250)}m";
    public string CpuLimit => $"{(int)(Cpus * 1000)}m";
    public string MemoryRequest => $"{MemoryMiB / 2}Mi";
    public string MemoryLimit => $"{MemoryMiB}Mi";
}

/// <summary>
/// Limits per container, sized for one server running everything: the executor builds and tests target repositories,
/// PostgreSQL holds the working set; the rest is small. Operators change them in the generator, not in the output.
/// </summary>
public static class ResourceLimits
{
    private static readonly Dictionary<string, ResourceLimit> Limits = new()
    {
        ["postgres"] = new(2, 2048),
        ["qdrant"] = new(1, 1024),
        ["migrate"] = new(0.5, 512),
        ["api"] = new(1, 1024),
        ["executor"] = new(2, 2048),
        ["outboxworker"] = new(0.5, 512),
        ["web"] = new(0.5, 256),
        ["backup"] = new(0.5, 512),
        ["certbot"] = new(0.25, 256),
    };

    public static ResourceLimit For(string container) =>
        Limits.TryGetValue(container, out var limit) ? limit : throw new InvalidOperationException($"no resource limit for '{container}': add it to ResourceLimits");
}
