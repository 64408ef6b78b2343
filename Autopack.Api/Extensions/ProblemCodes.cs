namespace Autopack.Api.Extensions;

/// <summary>
/// Every stable <c>code</c> a problem response can carry; docs/api-contract.md lists exactly these
/// (a test compares the two and fails on a code used as a bare string literal).
/// </summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string MalformedJson = "malformed_json";
    public const string UnknownMember = "unknown_member";
    public const string BadRequest = "bad_request";
    public const string Unauthorized = "unauthorized";
    public const string InvalidCredentials = "invalid_credentials";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string TelegramDisabled = "telegram_disabled";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string RequestTimeout = "request_timeout";
    public const string Conflict = "conflict";
    public const string RunExists = "run_exists";
    public const string UserExists = "user_exists";
    public const string IllegalTransition = "illegal_transition";
    public const string ApprovalDecided = "approval_decided";
    public const string ApprovalExpired = "approval_expired";
    public const string IdempotencyKeyInFlight = "idempotency_key_in_flight";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
    public const string TooManyRequests = "too_many_requests";
    public const string SseLimit = "sse_limit";
    public const string InternalError = "internal_error";
    public const string DatabaseUnavailable = "database_unavailable";
    /// <summary>Any other 4xx the framework answers by itself (406, say).</summary>
    public const string Error = "error";
}
