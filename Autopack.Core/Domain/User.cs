namespace Autopack.Core.Domain;

public class User
{
    public long Id { get; set; }
    public required string Username { get; set; }
    public required string PasswordHash { get; set; }
    public Role Role { get; set; } = Role.Viewer;
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>Ordered: a higher role includes the lower ones.</summary>
public enum Role { Viewer = 0, Operator = 1, Admin = 2 }
