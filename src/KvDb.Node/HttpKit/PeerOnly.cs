// Marks member-to-member endpoints (forwarded writes, read index, snapshot archives, the
// leader's lease clock). The composition root's port policy (PeerPort) serves them on the peer
// port only and refuses everything else there.
namespace KvDb.Node.HttpKit;

/// <summary>Endpoint metadata: this endpoint is served on the peer port only.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class PeerOnlyAttribute : Attribute;

/// <summary>Marks endpoints as member-to-member.</summary>
public static class PeerOnlyExtensions
{
    /// <summary>Marks an endpoint as member-to-member.</summary>
    public static TBuilder PeerOnly<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new PeerOnlyAttribute());
}
