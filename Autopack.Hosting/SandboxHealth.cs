namespace Autopack.Hosting;

/// <summary>/health's <c>sandbox</c> field, registered by the executor: <c>bubblewrap</c> or <c>none: &lt;reason&gt;</c>.</summary>
public sealed record SandboxHealth(string Status);
