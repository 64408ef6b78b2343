using Microsoft.AspNetCore.Http.HttpResults;

namespace Autopack.Api.Extensions;

/// <summary>RFC 7807 problems with Autopack's stable <c>code</c> (request_id is added for every problem in one place).</summary>
public static class ApiProblem
{
    /// <summary>The RFC 7807 members (and the validation problem's <c>errors</c>): an extension with one of these names would be a duplicate key.</summary>
    public static readonly IReadOnlySet<string> StandardMembers = new HashSet<string> { "type", "title", "status", "detail", "instance", "errors" };

    public static ProblemHttpResult Create(int status, string code, string detail, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?> { ["code"] = code };
        foreach (var (k, v) in extensions ?? new Dictionary<string, object?>())
        {
            // Parsers keep the last of two equal keys, so a colliding extension would silently replace the HTTP status.
            if (StandardMembers.Contains(k)) throw new ArgumentException($"Problem extension '{k}' collides with an RFC 7807 member.", nameof(extensions));
            ext[k] = v;
        }
        return TypedResults.Problem(detail: detail, statusCode: status, extensions: ext);
    }

    public static ProblemHttpResult NotFound(string what) => Create(404, ProblemCodes.NotFound, $"{what} was not found.");

    public static ProblemHttpResult Conflict(string code, string detail, IDictionary<string, object?>? extensions = null) => Create(409, code, detail, extensions);

    /// <summary>A validation problem (the <c>errors</c> member names each field) with any status: TypedResults.ValidationProblem is always 400.</summary>
    public static ProblemHttpResult Validation(int status, IDictionary<string, string[]> errors, string detail = "The request is not valid.") =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = status, Detail = detail, Extensions = { ["code"] = ProblemCodes.ValidationFailed },
        });

    /// <summary>The code for a status when nothing more specific was set.</summary>
    public static string DefaultCode(int status) => status switch
    {
        400 => ProblemCodes.BadRequest,
        401 => ProblemCodes.Unauthorized,
        403 => ProblemCodes.Forbidden,
        404 => ProblemCodes.NotFound,
        405 => ProblemCodes.MethodNotAllowed,
        408 => ProblemCodes.RequestTimeout,
        409 => ProblemCodes.Conflict,
        413 => ProblemCodes.PayloadTooLarge,
        415 => ProblemCodes.UnsupportedMediaType,
        422 => ProblemCodes.ValidationFailed,
        429 => ProblemCodes.TooManyRequests,
        503 => ProblemCodes.DatabaseUnavailable,
        _ => status >= 500 ? ProblemCodes.InternalError : ProblemCodes.Error,
    };

    public static void Customize(ProblemDetailsContext ctx)
    {
        var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
        ctx.ProblemDetails.Extensions.TryAdd("code", DefaultCode(status));
        ctx.ProblemDetails.Extensions["request_id"] = ctx.HttpContext.TraceIdentifier;
        ctx.ProblemDetails.Extensions.Remove("traceId");
    }
}
