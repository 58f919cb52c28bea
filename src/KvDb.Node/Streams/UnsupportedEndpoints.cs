// What S2 defines and kvdb, like s2-lite, does not serve: access tokens (kvdb has its own users
// and tokens), account and basin metrics (kvdb has /metrics), locations. Each answers 501 with
// S2's not_implemented code, so an SDK call fails clearly instead of with a 404.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Streams;

/// <summary>Maps S2's endpoints that kvdb does not implement.</summary>
public static class UnsupportedEndpoints
{
    /// <summary>Maps them.</summary>
    public static void MapUnsupportedEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var (pattern, what) in new[]
        {
            ("/v1/access-tokens", "S2 access tokens"), ("/v1/access-tokens/{id}", "S2 access tokens"),
            ("/v1/metrics", "S2 account metrics"), ("/v1/metrics/{basin}", "S2 basin metrics"), ("/v1/metrics/{basin}/{stream}", "S2 stream metrics"),
            ("/v1/locations", "S2 locations"), ("/v1/locations/default", "S2 locations"),
        })
        {
            var name = pattern.Replace("/v1/", "", StringComparison.Ordinal).Replace("/", "_", StringComparison.Ordinal).Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal);
            foreach (var method in new[] { "GET", "POST", "PUT", "DELETE" })
            {
                app.MapMethods(pattern, [method], () => S2Error.NotImplemented(what)).Allow(AccessRule.AnyUser)
                    .WithTags("s2").WithName($"s2NotImplemented_{method}_{name}")
                    .WithSummary($"S2: {what}, not implemented by kvdb (501).").ProducesProblem(StatusCodes.Status501NotImplemented);
            }
        }
    }
}
