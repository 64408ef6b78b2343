namespace Autopack.Tests.Infrastructure;

/// <summary>
/// The settings of a real executor process (<see cref="ServiceProcess"/> of <c>Autopack.Executor</c>) on a test database,
/// pointed at a <see cref="FakeOpenAiServer"/> as its OpenAI-compatible provider ("compat").
/// </summary>
public static class ExecutorEnvironment
{
    public const string Project = "Autopack.Executor";

    /// <summary>Environment for an executor on <paramref name="db"/> using the fake server's models (compat:cheap → mid → strong, auditor compat:auditor).</summary>
    public static Dictionary<string, string?> For(TestDatabase db, FakeOpenAiServer? models, string name) => new()
    {
        ["DATABASE_URL"] = db.Url,
        ["AUTOPACK_STATE_DIR"] = db.StateRoot,
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["AUTOPACK_EXECUTOR_ID"] = name,
        ["AUTOPACK_OPENAI_COMPAT_URL"] = models?.BaseUrl,
        ["AUTOPACK_ESCALATION_LOW"] = models is null ? null : "compat:cheap,compat:mid,compat:strong",
        ["AUTOPACK_ESCALATION_MEDIUM"] = models is null ? null : "compat:mid,compat:strong",
        ["AUTOPACK_ESCALATION_HIGH"] = models is null ? null : "compat:strong",
        ["AUTOPACK_AUDITOR_MODEL"] = models is null ? null : "compat:auditor",
        ["AUTOPACK_LEASE_SECONDS"] = "5",
        ["AUTOPACK_POLL_INTERVAL_MS"] = "200",
        // Whatever the machine has set must not leak into the test.
        ["ConnectionStrings__autopack"] = null, ["ConnectionStrings__qdrant"] = null, ["QDRANT_URL"] = null,
        ["OPENAI_API_KEY"] = null, ["ANTHROPIC_API_KEY"] = null, ["GOOGLE_API_KEY"] = null, ["GEMINI_API_KEY"] = null,
        ["AUTOPACK_API_URL"] = null, ["services__api__http__0"] = null, ["TARGET_REPO_PATH"] = null, ["AUTOPACK_ENV"] = null,
    };

    public static ServiceProcess Start(Dictionary<string, string?> env) => ServiceProcess.Start(Project, env);
}
