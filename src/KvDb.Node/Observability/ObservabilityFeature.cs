// The operations feature: metrics, readiness, status, the admin endpoints, and tracing (when --otlp-endpoint is given).
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
        services.AddTracing();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapAdminEndpoints();
    }
}
