namespace Autopack.Executor.Sandbox;

/// <summary>AUTOPACK_SANDBOX: how the executor runs commands on model-written code.</summary>
public enum SandboxMode
{
    /// <summary>Under bubblewrap or not at all: test commands are refused when bwrap cannot run (production default).</summary>
    Required,
    /// <summary>Under bubblewrap where it works, otherwise unsandboxed with a warning (development default).</summary>
    Auto,
    /// <summary>Explicit opt-out: on the host with the executor's rights (the environment is still filtered).</summary>
    Off,
}
