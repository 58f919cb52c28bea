// The auth feature: the replicated users and roles, who is calling, and /v1/auth. The gate that
// enforces each endpoint's access rule is middleware (UseAuthGate), placed by the composition root.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Auth;

/// <summary>Registers the auth feature.</summary>
public sealed class AuthFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Auth";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        AuthInstruments.Publish();
        services.AddSingleton<AuthCache>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<AuthWrites>();
        services.AddSingleton<StreamAccess>();
        services.AddOptions<AuthOptions>().Configure<NodeOptions>(static (auth, node) =>
        {
            auth.OpenProbes = node.OpenProbes;
            auth.TokenTtl = node.AuthTokenTtl;
            auth.RehashPasswords = node.RehashPasswords;
        });
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapAuthEndpoints();
    }
}
