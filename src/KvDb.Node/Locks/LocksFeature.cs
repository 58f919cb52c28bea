// The locks feature: the ownership queue that locks and elections share, and /v1/locks.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Locks;

/// <summary>Registers the locks feature.</summary>
public sealed class LocksFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Locks";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Leases", "Watch"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        LockInstruments.Publish();
        services.AddSingleton<OwnershipQueue>();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapLockEndpoints();
    }
}
