// A feature of a member (keys, watch, leases, …) as the composition root sees it: the services
// it adds and the endpoints it maps, declared in one class in the feature's folder. Commands it
// applies are declared on the Core side (ICommandModule); its access rules ride on its
// endpoints (Allow) and its options on its services.
// Invariants: a feature uses another only through the public services of the features it
// names in DependsOn; the architecture test holds every feature to that list.
namespace KvDb.Node.HttpKit;

/// <summary>One feature's registration.</summary>
public interface INodeFeature
{
    /// <summary>The feature's name: its folder and the last part of its namespace (<c>"Leases"</c>).</summary>
    string Name { get; }

    /// <summary>The features whose public services this one uses, by name.</summary>
    IReadOnlyList<string> DependsOn { get; }

    /// <summary>Adds the feature's services; hosted services start in feature order and stop in reverse.</summary>
    void AddServices(IServiceCollection services);

    /// <summary>Maps the feature's endpoints, each with its access rule.</summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints);
}
