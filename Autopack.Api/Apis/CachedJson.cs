using System.Reflection;
using Autopack.Api.Services;
using Microsoft.AspNetCore.Http.Metadata;

namespace Autopack.Api.Apis;

/// <summary>
/// A 200 with a body serialized earlier (<see cref="RunReadCache"/>) and its ETag, or a 304 when the request's
/// <c>If-None-Match</c> names that ETag. Documented in OpenAPI as <typeparamref name="T"/>, the shape the body has.
/// </summary>
public sealed class CachedJson<T>(RunReadCache.Entry entry) : IResult, IEndpointMetadataProvider
{
    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.Headers.ETag = entry.ETag;
        // Kept by the client but asked again each time: the ETag makes the repeat a 304 when nothing changed.
        http.Response.Headers.CacheControl = "private, no-cache";
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == entry.ETag || t.Trim() == "*")))
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = entry.Body.Length;
        return http.Response.Body.WriteAsync(entry.Body).AsTask();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "IEndpointMetadataProvider is a static interface member, as on ASP.NET Core's own Ok<T>.")]
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}
