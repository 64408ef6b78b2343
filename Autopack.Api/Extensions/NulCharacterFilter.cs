using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>
/// Refuses a NUL character (U+0000) in any route value, query value or string of the JSON body with 422
/// <c>validation_failed</c> naming the field. PostgreSQL cannot store or even compare NUL in text, so without this
/// such input ends as a 500 deep in a query. The body is walked with the serializer's own metadata, so the field
/// names are the wire names (<c>phases[0].scope.paths[1]</c>).
/// </summary>
public sealed class NulCharacterFilter(IOptions<JsonOptions> json) : IEndpointFilter
{
    private const string Message = "must not contain a NUL character (U+0000)";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var errors = new Dictionary<string, string[]>();
        foreach (var (key, value) in http.Request.RouteValues)
            if (value is string s && s.Contains('\0')) errors[key] = [Message];
        foreach (var (key, values) in http.Request.Query)
            if (key.Contains('\0') || values.Any(v => v?.Contains('\0') == true)) errors[key.Replace("\0", "\\u0000")] = [Message];
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is { } bodyType)
        {
            var body = context.Arguments.FirstOrDefault(a => a is not null && bodyType.IsInstanceOfType(a));
            if (body is not null) Walk(body, "", errors, json.Value.SerializerOptions, depth: 0);
        }
        if (errors.Count > 0) return ApiProblem.Validation(422, errors, "Text must not contain NUL characters.");
        return await next(context);
    }

    private static void Walk(object? value, string path, Dictionary<string, string[]> errors, JsonSerializerOptions options, int depth)
    {
        if (value is null || depth > 32) return;
        if (value is string s)
        {
            if (s.Contains('\0')) errors[path.Length == 0 ? JsonBodyError.Body : path] = [Message];
            return;
        }
        if (value.GetType().IsPrimitive || value is System.Text.Json.Nodes.JsonNode or JsonElement) return;
        var info = options.GetTypeInfo(value.GetType());
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in info.Properties)
                    if (property.Get is { } get)
                        Walk(get(value), path.Length == 0 ? property.Name : $"{path}.{property.Name}", errors, options, depth + 1);
                break;
            case JsonTypeInfoKind.Dictionary when value is IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                    Walk(entry.Value, $"{path}.{entry.Key}", errors, options, depth + 1);
                break;
            case JsonTypeInfoKind.Enumerable when value is IEnumerable items:
                var i = 0;
                foreach (var item in items) Walk(item, $"{path}[{i++}]", errors, options, depth + 1);
                break;
        }
    }
}
