using System.Reflection;
using System.Text.Json;
using Autopack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Autopack.Tests.Api;

/// <summary>
/// Every route's responses are in the served OpenAPI document: its success with a schema (typed results carry it) and the
/// problems it answers as application/problem+json.
/// </summary>
public class OpenApiResponseTests
{
    private const string ProblemJson = "application/problem+json";

    [Fact]
    public async Task Every_route_documents_its_success_schema_and_its_problem_responses()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        using var doc = JsonDocument.Parse(await api.Anonymous().GetStringAsync("/openapi/v1.json"));
        var problems = new List<string>();
        var operations = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch"))
        {
            operations++;
            var route = $"{operation.Name.ToUpperInvariant()} {path.Name}";
            var responses = operation.Value.GetProperty("responses").EnumerateObject().ToList();
            var success = responses.Where(r => r.Name.StartsWith('2')).ToList();
            if (success.Count == 0) problems.Add($"{route}: no success response");
            foreach (var response in success.Where(r => r.Name != "204"))
                if (!response.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _)))
                    problems.Add($"{route}: {response.Name} has no schema");
            var failures = responses.Where(r => r.Name[0] is '4' or '5').ToList();
            if (failures.Count == 0) problems.Add($"{route}: no problem responses");
            foreach (var response in failures)
                if (!response.Value.TryGetProperty("content", out var content) || !content.TryGetProperty(ProblemJson, out var problem) || !problem.TryGetProperty("schema", out _))
                    problems.Add($"{route}: {response.Name} is not documented as {ProblemJson}");
        }
        Assert.True(operations > 30, $"only {operations} operations in the document");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task No_route_handler_returns_an_untyped_IResult()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var api = new ApiFactory(db);
        api.Anonymous(); // starts the server, so the routes are mapped
        var handlers = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Route: e.RoutePattern.RawText, Method: e.Metadata.GetMetadata<MethodInfo>()))
            .Where(h => h.Method is not null).ToList();
        Assert.NotEmpty(handlers);
        // IResult (or a Task of it) hides the response shape from the OpenAPI document; a typed result (Ok<T>, Results<…>) does not.
        var untyped = handlers.Where(h => Unwrap(h.Method!.ReturnType) == typeof(IResult)).Select(h => $"{h.Route} ({h.Method!.Name})").ToList();
        Assert.True(untyped.Count == 0, "untyped handlers:\n" + string.Join("\n", untyped));
    }

    private static Type Unwrap(Type type) =>
        type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0]
            : type;
}
