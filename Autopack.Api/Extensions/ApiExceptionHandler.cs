using System.Net.Sockets;
using System.Text.Json;
using Autopack.Core.Domain;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>
/// Turns exceptions into problem JSON with a stable code. Stack traces never leave the process outside
/// Development; a database that cannot be reached is a 503, not a 500.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, IHostEnvironment env, IOptions<JsonOptions> json,
    ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, code, detail) = Classify(exception);
        if (status >= 500) logger.LogError(exception, "Request failed with {Code}", code);
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail, Title = Title(status) };
        var jsonError = exception as JsonException ?? (exception as BadHttpRequestException)?.InnerException as JsonException;
        if (jsonError is not null
            // The handler runs after the endpoint was cleared from the context; the feature keeps it.
            && JsonBodyError.From(jsonError, http.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType, json.Value.SerializerOptions) is { } field)
        {
            code = field.Code;
            problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field.Field] = [field.Message] })
            {
                Status = status, Title = Title(status),
                Detail = code == ProblemCodes.UnknownMember ? $"'{field.Field}' is not a member of this request." : $"'{field.Field}' {field.Message}.",
            };
        }
        problem.Extensions["code"] = code;
        if (exception is IllegalTransitionException illegal)
            problem.Extensions["allowed"] = illegal.Allowed.Select(a => EnumNames.ToWire(a)).ToArray();
        if (env.IsDevelopment() && status >= 500) problem.Extensions["exception"] = exception.ToString();
        http.Response.StatusCode = status;
        if (status == 503) http.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static (int, string, string) Classify(Exception ex) => ex switch
    {
        BadHttpRequestException { InnerException: JsonException } => (400, ProblemCodes.MalformedJson, "The request body is not valid JSON for this endpoint."),
        BadHttpRequestException { StatusCode: 413 } => (413, ProblemCodes.PayloadTooLarge, "The request body is larger than the limit."),
        BadHttpRequestException b => (b.StatusCode, ApiProblem.DefaultCode(b.StatusCode), b.Message),
        JsonException => (400, ProblemCodes.MalformedJson, "The request body is not valid JSON for this endpoint."),
        IllegalTransitionException i => (409, ProblemCodes.IllegalTransition, i.Message),
        _ when IsDatabaseUnavailable(ex) => (503, ProblemCodes.DatabaseUnavailable, "The database cannot be reached; try again shortly."),
        _ => (500, ProblemCodes.InternalError, "An unexpected error occurred."),
    };

    /// <summary>Connection-level failures, as opposed to a query that is simply wrong.</summary>
    public static bool IsDatabaseUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException or TimeoutException) return true;
            if (e is Npgsql.NpgsqlException { IsTransient: true }) return true;
            if (e is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" }) return true;
            if (e is Npgsql.NpgsqlException n && n.InnerException is IOException or SocketException) return true;
            if (e is InvalidOperationException && e.Message.Contains("transient failure", StringComparison.OrdinalIgnoreCase)) return true;
            if (e is DbUpdateException && e.InnerException is Npgsql.NpgsqlException { IsTransient: true }) return true;
        }
        return false;
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad Request", 408 => "Request Timeout", 409 => "Conflict", 413 => "Payload Too Large",
        503 => "Service Unavailable", _ => "Internal Server Error",
    };
}
