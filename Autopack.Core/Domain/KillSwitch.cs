namespace Autopack.Core.Domain;

public class KillSwitch
{
    public required string Name { get; set; }
    public bool Enabled { get; set; }
    public string? Reason { get; set; }
    public string? UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

public static class KillSwitchNames
{
    public const string DisableAll = "disable_all";
    public const string DisableAutonomous = "disable_autonomous";
    public const string DisableTelegram = "disable_telegram";
    public const string DisableWebhooks = "disable_webhooks";
    public const string DisableMemory = "disable_memory";

    public static readonly IReadOnlyList<string> All =
        [DisableAll, DisableAutonomous, DisableTelegram, DisableWebhooks, DisableMemory];
}
