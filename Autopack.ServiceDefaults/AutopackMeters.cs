namespace Autopack.ServiceDefaults;

/// <summary>The one meter and activity source name every Autopack component reports under.</summary>
public static class AutopackMeters
{
    public const string Name = "Autopack";
}
