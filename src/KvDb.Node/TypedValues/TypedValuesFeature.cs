// The typed-values feature: the S2 kv-store API under /api.
using KvDb.Node.HttpKit;

namespace KvDb.Node.TypedValues;

/// <summary>Registers the typedvalues feature.</summary>
public sealed class TypedValuesFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "TypedValues";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapS2Endpoints();
    }
}
