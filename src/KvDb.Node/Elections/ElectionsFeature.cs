// The elections feature: campaign, proclaim, resign and observe (/v1/elections), on the locks' queue.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Elections;

/// <summary>Registers the elections feature.</summary>
public sealed class ElectionsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Elections";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Leases", "Locks", "Watch"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapElectionEndpoints();
    }
}
