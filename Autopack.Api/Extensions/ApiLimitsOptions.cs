using System.ComponentModel.DataAnnotations;

namespace Autopack.Api.Extensions;

/// <summary>Request limits; bound from AUTOPACK_* variables and validated at start.</summary>
public sealed class ApiLimitsOptions
{
    /// <summary>AUTOPACK_MAX_BODY_BYTES: larger request bodies get 413.</summary>
    [Range(1024, 256L * 1024 * 1024)] public long MaxBodyBytes { get; set; } = 1024 * 1024;
    /// <summary>AUTOPACK_REQUEST_TIMEOUT_MS: a request still running after this gets 408.</summary>
    [Range(1, 600_000)] public int RequestTimeoutMs { get; set; } = 30_000;
    /// <summary>AUTOPACK_MAX_CONCURRENT_REQUESTS: requests served at once by this process.</summary>
    [Range(1, 100_000)] public int MaxConcurrentRequests { get; set; } = 256;
    /// <summary>AUTOPACK_REQUEST_QUEUE_LIMIT: requests that may wait for a slot; more get 429 at once.</summary>
    [Range(0, 100_000)] public int RequestQueueLimit { get; set; } = 512;
    /// <summary>AUTOPACK_REQUEST_QUEUE_TIMEOUT_MS: a queued request that waits longer gets 429.</summary>
    [Range(1, 600_000)] public int RequestQueueTimeoutMs { get; set; } = 5_000;
    /// <summary>AUTOPACK_RATE_LIMIT_PER_MINUTE: requests per client IP per minute.</summary>
    [Range(1, 10_000_000)] public int RateLimitPerMinute { get; set; } = 1_200;
    /// <summary>AUTOPACK_LOGIN_RATE_LIMIT_PER_MINUTE: sign-in attempts per client IP per minute.</summary>
    [Range(1, 100_000)] public int LoginRateLimitPerMinute { get; set; } = 20;
    /// <summary>AUTOPACK_SSE_MAX_CONNECTIONS: event streams open at once in this process.</summary>
    [Range(1, 1_000_000)] public int SseMaxConnections { get; set; } = 2_000;
    /// <summary>AUTOPACK_SSE_MAX_PER_CLIENT: event streams one client IP may hold.</summary>
    [Range(1, 1_000_000)] public int SseMaxPerClient { get; set; } = 20;
    /// <summary>AUTOPACK_SSE_HEARTBEAT_SECONDS.</summary>
    [Range(1, 3600)] public int SseHeartbeatSeconds { get; set; } = 30;
    /// <summary>AUTOPACK_SSE_POLL_MS: how often new run events are read from the database.</summary>
    [Range(10, 60_000)] public int SsePollMs { get; set; } = 200;
    /// <summary>AUTOPACK_APPROVAL_TTL_MINUTES: pending approvals expire (reject) after this.</summary>
    [Range(1, 10_080)] public int ApprovalTtlMinutes { get; set; } = 15;
    /// <summary>AUTOPACK_APPROVAL_SWEEP_SECONDS.</summary>
    [Range(1, 3600)] public int ApprovalSweepSeconds { get; set; } = 5;
    /// <summary>AUTOPACK_TRUSTED_PROXIES: comma-separated IPs or CIDR networks whose X-Forwarded-For is believed.</summary>
    public string? TrustedProxies { get; set; }
    /// <summary>AUTOPACK_CORS_ORIGINS: comma-separated origins; CORS stays off when empty.</summary>
    public string? CorsOrigins { get; set; }

    /// <summary>Maps AUTOPACK_MAX_BODY_BYTES → MaxBodyBytes etc.</summary>
    public static void Bind(ApiLimitsOptions o, IConfiguration c)
    {
        o.MaxBodyBytes = c.GetValue("AUTOPACK_MAX_BODY_BYTES", o.MaxBodyBytes);
        o.RequestTimeoutMs = c.GetValue("AUTOPACK_REQUEST_TIMEOUT_MS", o.RequestTimeoutMs);
        o.MaxConcurrentRequests = c.GetValue("AUTOPACK_MAX_CONCURRENT_REQUESTS", o.MaxConcurrentRequests);
        o.RequestQueueLimit = c.GetValue("AUTOPACK_REQUEST_QUEUE_LIMIT", o.RequestQueueLimit);
        o.RequestQueueTimeoutMs = c.GetValue("AUTOPACK_REQUEST_QUEUE_TIMEOUT_MS", o.RequestQueueTimeoutMs);
        o.RateLimitPerMinute = c.GetValue("AUTOPACK_RATE_LIMIT_PER_MINUTE", o.RateLimitPerMinute);
        o.LoginRateLimitPerMinute = c.GetValue("AUTOPACK_LOGIN_RATE_LIMIT_PER_MINUTE", o.LoginRateLimitPerMinute);
        o.SseMaxConnections = c.GetValue("AUTOPACK_SSE_MAX_CONNECTIONS", o.SseMaxConnections);
        o.SseMaxPerClient = c.GetValue("AUTOPACK_SSE_MAX_PER_CLIENT", o.SseMaxPerClient);
        o.SseHeartbeatSeconds = c.GetValue("AUTOPACK_SSE_HEARTBEAT_SECONDS", o.SseHeartbeatSeconds);
        o.SsePollMs = c.GetValue("AUTOPACK_SSE_POLL_MS", o.SsePollMs);
        o.ApprovalTtlMinutes = c.GetValue("AUTOPACK_APPROVAL_TTL_MINUTES", o.ApprovalTtlMinutes);
        o.ApprovalSweepSeconds = c.GetValue("AUTOPACK_APPROVAL_SWEEP_SECONDS", o.ApprovalSweepSeconds);
        o.TrustedProxies = c["AUTOPACK_TRUSTED_PROXIES"];
        o.CorsOrigins = c["AUTOPACK_CORS_ORIGINS"];
    }
}
