using System.Text.RegularExpressions;
using Autopack.Core.Domain;

namespace Autopack.Api.Apis;

/// <summary>
/// Checks a run plan before anything is stored. Missing required fields are 400; a plan that is
/// well-formed but inconsistent (unknown tier, duplicate ids, caps too low, scope outside the repo) is 422.
/// </summary>
public static partial class RunPlanValidator
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    public static Dictionary<string, string[]> Required(CreateRunRequest r)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message) { if (!errors.TryGetValue(field, out var l)) errors[field] = l = []; l.Add(message); }
        if (r.Tiers is null || r.Tiers.Count == 0) Add("tiers", "at least one tier is required");
        if (r.Phases is null || r.Phases.Count == 0) Add("phases", "at least one phase is required");
        for (var i = 0; i < (r.Tiers?.Count ?? 0); i++)
        {
            if (r.Tiers![i] is null) { Add($"tiers[{i}]", "must be an object"); continue; }
            if (string.IsNullOrWhiteSpace(r.Tiers[i].TierId)) Add($"tiers[{i}].tier_id", "is required");
        }
        for (var i = 0; i < (r.Phases?.Count ?? 0); i++)
        {
            var p = r.Phases![i];
            if (p is null) { Add($"phases[{i}]", "must be an object"); continue; }
            if (string.IsNullOrWhiteSpace(p.PhaseId)) Add($"phases[{i}].phase_id", "is required");
            if (string.IsNullOrWhiteSpace(p.TierId)) Add($"phases[{i}].tier_id", "is required");
        }
        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    public static Dictionary<string, string[]> Consistency(CreateRunRequest r, RepoPathPolicy repoPaths)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message) { if (!errors.TryGetValue(field, out var l)) errors[field] = l = []; l.Add(message); }

        if (r.RunId is not null && !IdPattern().IsMatch(r.RunId)) Add("run_id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (r.Name?.Length > 200) Add("name", "must be at most 200 characters");
        if (r.RepoPath is not null && repoPaths.Check(r.RepoPath, out _) is { } repoProblem) Add("repo_path", repoProblem);
        if (r.TokenCap is { } cap && cap < RunCaps.MinTokenCap) Add("token_cap", $"must be at least {RunCaps.MinTokenCap}");
        if (r.MaxPhases is { } mp && (mp < RunCaps.MinMaxPhases || mp > RunCaps.MaxMaxPhases)) Add("max_phases", $"must be between {RunCaps.MinMaxPhases} and {RunCaps.MaxMaxPhases}");
        if (r.MaxDurationMinutes is { } md && md < RunCaps.MinDurationMinutes) Add("max_duration_minutes", $"must be at least {RunCaps.MinDurationMinutes}");
        var maxPhases = r.MaxPhases ?? RunCaps.DefaultMaxPhases;
        if (r.Phases!.Count > maxPhases) Add("phases", $"{r.Phases.Count} phases exceed max_phases ({maxPhases})");

        var tierIds = new HashSet<string>();
        for (var i = 0; i < r.Tiers!.Count; i++)
        {
            var t = r.Tiers[i];
            if (!IdPattern().IsMatch(t.TierId!)) Add($"tiers[{i}].tier_id", "must be 1-64 letters, digits, '.', '_' or '-'");
            if (!tierIds.Add(t.TierId!)) Add($"tiers[{i}].tier_id", $"duplicate tier id '{t.TierId}'");
        }
        var phaseIds = new HashSet<string>();
        for (var i = 0; i < r.Phases.Count; i++)
        {
            var p = r.Phases[i];
            var at = $"phases[{i}]";
            if (!IdPattern().IsMatch(p.PhaseId!)) Add($"{at}.phase_id", "must be 1-64 letters, digits, '.', '_' or '-'");
            if (!phaseIds.Add(p.PhaseId!)) Add($"{at}.phase_id", $"duplicate phase id '{p.PhaseId}'");
            if (!tierIds.Contains(p.TierId!)) Add($"{at}.tier_id", $"unknown tier '{p.TierId}'");
            if (p.Complexity is not null && !EnumNames.TryParse<Complexity>(p.Complexity, out _)) Add($"{at}.complexity", "must be low, medium or high");
            if (p.MaxAttempts is { } ma && (ma < 1 || ma > RunCaps.DefaultMaxAttempts)) Add($"{at}.max_attempts", $"must be between 1 and {RunCaps.DefaultMaxAttempts}");
            if (p.Description?.Length > 20_000) Add($"{at}.description", "must be at most 20,000 characters");
            if (p.TestCommand?.Length > 2_000) Add($"{at}.test_command", "must be at most 2,000 characters");
            CheckPaths(p.Scope?.Paths, $"{at}.scope.paths", Add);
            CheckPaths(p.Scope?.ReadOnlyContext, $"{at}.scope.read_only_context", Add);
        }
        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    private static void CheckPaths(List<string>? paths, string field, Action<string, string> add)
    {
        if (paths is null) return;
        if (paths.Count > 500) { add(field, "at most 500 paths"); return; }
        foreach (var path in paths)
            if (ScopePathProblem(path) is { } problem) add(field, $"'{Truncate(path)}' {problem}");
    }

    /// <summary>Why a scope path is not a relative path inside the repository, or null when it is.</summary>
    public static string? ScopePathProblem(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "is empty";
        if (path.Length > 500) return "is longer than 500 characters";
        if (path.Contains('\0') || path.Any(char.IsControl)) return "contains control characters";
        if (path.StartsWith('/') || path.StartsWith('\\') || (path.Length > 1 && path[1] == ':') || path.StartsWith('~')) return "must be relative to the repository";
        var segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == "..")) return "must stay inside the repository (no '..')";
        if (segments.Length > 0 && segments[0].Equals(".git", StringComparison.OrdinalIgnoreCase)) return "must not touch .git/";
        return null;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
