namespace Autopack.Core.Domain;

public class Tier
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public required string TierId { get; set; }
    public int Index { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
}
