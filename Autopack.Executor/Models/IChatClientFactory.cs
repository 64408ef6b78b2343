using Microsoft.Extensions.AI;

namespace Autopack.Executor.Models;

/// <summary>Makes the <see cref="IChatClient"/> for one provider and model (tests substitute scripted clients here).</summary>
public interface IChatClientFactory
{
    IChatClient Create(ProviderConfig provider, string model);
}
