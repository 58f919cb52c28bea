// The snapshots feature: serving this member's snapshot archives to members installing them.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Snapshots;

/// <summary>Registers the snapshots feature.</summary>
public sealed class SnapshotsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Snapshots";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSnapshotEndpoints();
    }
}
