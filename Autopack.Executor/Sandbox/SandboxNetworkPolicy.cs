namespace Autopack.Executor.Sandbox;

/// <summary>AUTOPACK_SANDBOX_NETWORK: whether a sandboxed command may use the host's network.</summary>
public enum SandboxNetworkPolicy
{
    /// <summary>No network, unless the run plan asks for it (<c>"sandbox": {"network": true}</c>, run or phase): the default.</summary>
    OptIn,
    /// <summary>Never: a phase whose plan asks for the network is refused (<c>SANDBOX_NETWORK_DENIED</c>), not run without it.</summary>
    Deny,
    /// <summary>Every command of this executor gets the host's network, whatever the plan says.</summary>
    All,
}
