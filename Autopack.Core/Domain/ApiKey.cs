namespace Autopack.Core.Domain;

public class ApiKey
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>First characters of the key, for lookup and display; never enough to use it.</summary>
    public required string Prefix { get; set; }
    /// <summary>SHA-256 hex of the full key.</summary>
    public required string Hash { get; set; }
    public Role Role { get; set; } = Role.Viewer;
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}
