using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Autopack.Hosting;

/// <summary>One JSON log line per request with request id, outcome, status and duration.</summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            await next(context);
        }
        catch (Exception)
        {
            outcome = "exception";
            throw;
        }
        finally
        {
            var status = outcome == "exception" ? 500 : context.Response.StatusCode;
            if (outcome == "ok") outcome = status >= 500 ? "server_error" : status >= 400 ? "client_error" : "ok";
            if (!Microsoft.Extensions.Hosting.Extensions.IsProbe(context.Request.Path) || status >= 400)
            {
                LogRequest(logger, context.Request.Method, context.Request.Path.Value, status, outcome,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.TraceIdentifier);
            }
        }
    }

    // Once per request: the source-generated logger skips the params array and boxing (CA1848).
    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} {Status} {Outcome} in {DurationMs:0.0} ms (request {RequestId})")]
    private static partial void LogRequest(ILogger logger, string method, string? path, int status, string outcome, double durationMs, string requestId);
}
