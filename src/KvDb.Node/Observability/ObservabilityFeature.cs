// The operations feature: metrics, readiness, status, the admin endpoints, and tracing (when --otlp-endpoint is given).
using KvDb.Node.Hosting;
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
        // Whether to register tracing at all is decided here, before the container exists: the
        // composition root registers the member's NodeOptions as an instance first.
        var node = services.Select(static d => d.IsKeyedService ? null : d.ImplementationInstance).OfType<NodeOptions>().FirstOrDefault();
        if (node is not null)
            services.AddTracing(node.Tracing, new TracedMember(node.Id, node.PeerUrl, node.PeerEndPoint.Port));
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapAdminEndpoints();
    }
}
