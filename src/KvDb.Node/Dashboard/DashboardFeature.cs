// The dashboard: a browser UI at /ui on every member (keys, live updates, the cluster), served
// from files embedded in the kvdb executable. The UI is plain HTML, CSS and JavaScript modules
// calling the member's own HTTP API with the user's bearer token, so it shows and allows no more
// than the user's roles grant; its assets need no permission.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Dashboard;

/// <summary>Registers the dashboard feature.</summary>
public sealed class DashboardFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Dashboard";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Observability"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton(DashboardAssets.Load());
        services.AddHttpClient(ClusterOverview.ClientName)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { ConnectTimeout = ClusterOverview.MemberTimeout })
            .RemoveAllLoggers();
        services.AddSingleton<ClusterOverview>();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapDashboardEndpoints();
    }
}
