// The write path every feature proposes through: group commit, forwarding to the leader (and the
// peer endpoint that takes forwarded batches), disk-space admission, and the cluster-version gate.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Writes;

/// <summary>Registers the writes feature.</summary>
public sealed class WritesFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Writes";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        WriteInstruments.Publish();
        services.AddSingleton<ClusterVersionGate>();
        services.AddSingleton<ICommandGate>(static sp => sp.GetRequiredService<ClusterVersionGate>());
        services.AddSingleton<IWriteForwarder, WriteForwarder>();
        services.AddSingleton<ProposalBatcher>();
        services.AddSingleton<IProposer>(static sp => sp.GetRequiredService<ProposalBatcher>());
        services.AddHostedService(static sp => sp.GetRequiredService<ProposalBatcher>());
        services.AddSingleton<DiskSpaceGuard>();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapForwardedWriteEndpoints();
    }
}
