using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Extensions;

/// <summary>Request limits and front-door settings; bound once from the AUTOPACK_* variables named on each property, validated at start.</summary>
public sealed class ApiLimitsOptions
{
    /// <summary>Larger request bodies get 413 (Kestrel's limit and the Content-Length check).</summary>
    [ConfigurationKeyName("AUTOPACK_MAX_BODY_BYTES")] [Range(1024, 256L * 1024 * 1024)] public long MaxBodyBytes { get; set; } = 1024 * 1024;
    /// <summary>A request still running after this gets 408.</summary>
    [ConfigurationKeyName("AUTOPACK_REQUEST_TIMEOUT_MS")] [Range(1, 600_000)] public int RequestTimeoutMs { get; set; } = 30_000;
    /// <summary>Requests served at once by this process.</summary>
    [ConfigurationKeyName("AUTOPACK_MAX_CONCURRENT_REQUESTS")] [Range(1, 100_000)] public int MaxConcurrentRequests { get; set; } = 256;
    /// <summary>Requests that may wait for a slot; more get 429 at once.</summary>
    [ConfigurationKeyName("AUTOPACK_REQUEST_QUEUE_LIMIT")] [Range(0, 100_000)] public int RequestQueueLimit { get; set; } = 512;
    /// <summary>A queued request that waits longer gets 429.</summary>
    [ConfigurationKeyName("AUTOPACK_REQUEST_QUEUE_TIMEOUT_MS")] [Range(1, 600_000)] public int RequestQueueTimeoutMs { get; set; } = 5_000;
    /// <summary>Requests per client IP per minute.</summary>
    [ConfigurationKeyName("AUTOPACK_RATE_LIMIT_PER_MINUTE")] [Range(1, 10_000_000)] public int RateLimitPerMinute { get; set; } = 1_200;
    /// <summary>Sign-in attempts per client IP per minute.</summary>
    [ConfigurationKeyName("AUTOPACK_LOGIN_RATE_LIMIT_PER_MINUTE")] [Range(1, 100_000)] public int LoginRateLimitPerMinute { get; set; } = 20;
    /// <summary>Event streams open at once in this process.</summary>
    [ConfigurationKeyName("AUTOPACK_SSE_MAX_CONNECTIONS")] [Range(1, 1_000_000)] public int SseMaxConnections { get; set; } = 2_000;
    /// <summary>Event streams one client IP may hold.</summary>
    [ConfigurationKeyName("AUTOPACK_SSE_MAX_PER_CLIENT")] [Range(1, 1_000_000)] public int SseMaxPerClient { get; set; } = 20;
    [ConfigurationKeyName("AUTOPACK_SSE_HEARTBEAT_SECONDS")] [Range(1, 3600)] public int SseHeartbeatSeconds { get; set; } = 30;
    /// <summary>How often new run events are read from the database.</summary>
    [ConfigurationKeyName("AUTOPACK_SSE_POLL_MS")] [Range(10, 60_000)] public int SsePollMs { get; set; } = 200;
    /// <summary>Pending approvals expire (reject) after this.</summary>
    [ConfigurationKeyName("AUTOPACK_APPROVAL_TTL_MINUTES")] [Range(1, 10_080)] public int ApprovalTtlMinutes { get; set; } = 15;
    [ConfigurationKeyName("AUTOPACK_APPROVAL_SWEEP_SECONDS")] [Range(1, 3600)] public int ApprovalSweepSeconds { get; set; } = 5;
    /// <summary>An Idempotency-Key is remembered this long after its first request; later, the same key is a new one.</summary>
    [ConfigurationKeyName("AUTOPACK_IDEMPOTENCY_KEY_TTL_HOURS")] [Range(1, 8_760)] public int IdempotencyKeyTtlHours { get; set; } = 24;
    /// <summary>Comma-separated IPs or CIDR networks whose X-Forwarded-For is believed.</summary>
    [ConfigurationKeyName("AUTOPACK_TRUSTED_PROXIES")] public string? TrustedProxies { get; set; }
    /// <summary>Comma-separated origins; CORS stays off when empty.</summary>
    [ConfigurationKeyName("AUTOPACK_CORS_ORIGINS")] public string? CorsOrigins { get; set; }

    public IReadOnlyList<string> CorsOriginList => Split(CorsOrigins);

    public IReadOnlyList<string> TrustedProxyList => Split(TrustedProxies);

    private static string[] Split(string? list) => (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The data-annotation checks of <see cref="ApiLimitsOptions"/>, generated at compile time.</summary>
[OptionsValidator]
public sealed partial class ApiLimitsOptionsValidator : IValidateOptions<ApiLimitsOptions>;
