namespace Microsoft.Extensions.Hosting;

/// <summary>The one meter and activity source name every Autopack component reports under.</summary>
public static class AutopackMeters
{
    public const string Name = "Autopack";
}
