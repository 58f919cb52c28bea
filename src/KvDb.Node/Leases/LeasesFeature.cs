// The leases feature: the leader's lease clock, the way other members reach it, and /v1/leases.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Leases;

/// <summary>Registers the leases feature.</summary>
public sealed class LeasesFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Leases";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        LeaseInstruments.Publish();
        services.AddSingleton<LeaseKeeper>();
        services.AddHostedService(static sp => sp.GetRequiredService<LeaseKeeper>());
        services.AddSingleton<LeaseForwarder>();
        services.AddSingleton<LeaseAdmission>();
        services.AddSingleton<LeaseOwnership>();
        services.AddOptions<LeaseOptions>().Configure<NodeOptions>(static (leases, node) =>
        {
            leases.MaxLeases = node.MaxLeases;
            leases.RequestTimeout = node.RequestTimeout;
        });
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapLeaseEndpoints();
    }
}
