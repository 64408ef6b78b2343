using System.Text.Json;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// Parses JSON the way a strict client would: a repeated key is an error, not "the last one wins"
/// (System.Text.Json keeps the last by default, which is how a duplicate <c>status</c> went unnoticed).
/// </summary>
public static class StrictJson
{
    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false };

    public static JsonDocument Parse(string json) => JsonDocument.Parse(json, Options);

    /// <summary>Why <paramref name="json"/> is not strict JSON (a duplicate key, say), or null when it is.</summary>
    public static string? Problem(string json)
    {
        try { using var _ = Parse(json); return null; }
        catch (JsonException ex) { return ex.Message; }
    }
}
