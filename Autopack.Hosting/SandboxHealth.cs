namespace Autopack.Hosting;

/// <summary>
/// /health's sandbox fields, registered by the executor: <c>sandbox</c> (<c>bubblewrap</c> or <c>none: &lt;reason&gt;</c>),
/// and while it is active <c>sandbox_network</c> (<c>opt-in</c>, <c>deny</c> or <c>all</c>) and <c>sandbox_limits</c>
/// (how memory and processes are bounded).
/// </summary>
public sealed record SandboxHealth(string Status, string? Network = null, string? Limits = null);
