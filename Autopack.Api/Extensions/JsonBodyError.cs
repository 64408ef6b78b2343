using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Autopack.Api.Extensions;

/// <summary>
/// Says what is wrong with a JSON body the serializer refused, in the terms of the wire contract: the member's
/// path (as in validation errors: <c>phases[0].scope.paths</c>) and either "not a known member" or the expected type.
/// The path comes from the <see cref="JsonException"/>; the expected type from the serializer's own metadata of the
/// endpoint's request type, so it cannot drift from what the binder accepts.
/// </summary>
public sealed partial record JsonBodyError(string Code, string Field, string Message)
{
    public const string Body = "body";

    [GeneratedRegex(@"\.([^.\[]+)|\['((?:[^']|'')*)'\]|\[(\d+)\]")]
    private static partial Regex PathSegment();

    /// <summary>Null for text that is not JSON at all (the reader's own errors): those stay a plain <c>malformed_json</c>.</summary>
    public static JsonBodyError? From(JsonException ex, Type? requestType, JsonSerializerOptions options)
    {
        if (ex.InnerException is JsonException || requestType is null || ex.Path is null) return null; // a reader (syntax) error
        var segments = PathSegment().Matches(ex.Path).Select(m => m.Groups[3].Success ? (Name: (string?)null, Index: m.Groups[3].Value)
            : (Name: m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value.Replace("''", "'"), Index: (string?)null)).ToList();

        var field = "";
        var type = requestType;
        foreach (var (name, index) in segments)
        {
            var info = options.GetTypeInfo(Unwrap(type));
            if (index is not null)
            {
                field += $"[{index}]";
                if (info.ElementType is null) break;
                type = info.ElementType;
                continue;
            }
            field += field.Length == 0 ? name : "." + name;
            if (info.Kind == JsonTypeInfoKind.Dictionary && info.ElementType is not null) { type = info.ElementType; continue; }
            var property = info.Kind == JsonTypeInfoKind.Object ? info.Properties.FirstOrDefault(p => p.Name == name) : null;
            if (property is null) return new JsonBodyError(ProblemCodes.UnknownMember, field, "is not a member of this request (see docs/api-contract.md)");
            type = property.PropertyType;
        }
        return new JsonBodyError(ProblemCodes.MalformedJson, field.Length == 0 ? Body : field, "must be " + Describe(type, options));
    }

    private static Type Unwrap(Type t) => Nullable.GetUnderlyingType(t) ?? t;

    private static string Describe(Type type, JsonSerializerOptions options)
    {
        var t = Unwrap(type);
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long) || t == typeof(short)) return "an integer";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return "a number";
        if (t == typeof(DateTime) || t == typeof(DateTimeOffset)) return "a date-time string (ISO 8601)";
        if (typeof(JsonNode).IsAssignableFrom(t) || t == typeof(JsonElement)) return "JSON";
        return options.GetTypeInfo(t).Kind switch
        {
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            _ => "a JSON value of another type",
        };
    }
}
