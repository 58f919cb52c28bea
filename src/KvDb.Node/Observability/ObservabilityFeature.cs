// The operations feature: metrics, readiness, status and the admin endpoints.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Observability;

/// <summary>Registers the observability (operations) feature.</summary>
public sealed class ObservabilityFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Observability";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Backups", "Leases", "Membership", "Watch"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        services.AddOperations();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapAdminEndpoints();
    }
}
