namespace Autopack.Core.Domain;

/// <summary>
/// One Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header): the fingerprint of the first request that
/// used it and, once that request finished, its response, replayed to every retry with the same body.
/// </summary>
public class IdempotencyRecord
{
    public required string Key { get; set; }
    /// <summary>SHA-256 (hex) of the request as bound, so whitespace and member order do not matter.</summary>
    public required string Fingerprint { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The request holding the key is in flight until then; past it (a crashed owner) another request may take it over.</summary>
    public DateTime LockedUntil { get; set; }
    public int? ResponseStatus { get; set; }
    public string? ResponseBody { get; set; }
    public string? ResourceId { get; set; }
}
