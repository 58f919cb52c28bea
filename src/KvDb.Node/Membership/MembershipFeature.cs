// The membership feature: kv-db's POST/DELETE /{nodeId}, /v1/members, and the reconciler that
// keeps the Raft configuration in step with the replicated member map.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Membership;

/// <summary>Registers the membership feature.</summary>
public sealed class MembershipFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Membership";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton<MembershipService>();
        services.AddHostedService<MembershipReconciler>();
        services.AddHostedService<ReleaseAdvertiser>();
        services.AddMembershipRouting();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMembershipEndpoints();
    }
}
