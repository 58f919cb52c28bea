// Operational endpoints: liveness for now; readiness, status and metrics grow here.
namespace KvDb.Node.Http;

/// <summary>Maps the operator-facing endpoints.</summary>
public static class AdminEndpoints
{
    /// <summary>Maps <c>/ping</c>.</summary>
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ping", static () => Results.Text("pong"));
    }
}
