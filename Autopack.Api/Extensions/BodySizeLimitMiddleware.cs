using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>
/// Enforces the body limit on every server (Kestrel also enforces it while reading; this answers 413
/// before reading when Content-Length already says too much).
/// </summary>
public sealed class BodySizeLimitMiddleware(RequestDelegate next, IOptions<ApiLimitsOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = options.Value.MaxBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
            throw new BadHttpRequestException($"The request body is {context.Request.ContentLength} bytes; the limit is {limit}.", StatusCodes.Status413PayloadTooLarge);
        return next(context);
    }
}
