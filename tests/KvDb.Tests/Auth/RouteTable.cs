// Every route of the app with its access rule and one sample request per rule check. The
// route table test builds the app and fails for a route that is missing here or has no rule;
// AuthClusterTests sends each sample without credentials, as a user without permission and as
// one with it.
using KvDb.Core.Auth;

namespace KvDb.Tests.Auth;

/// <summary>A route and how to exercise it.</summary>
/// <param name="Method">The HTTP method (the route may accept more).</param>
/// <param name="Pattern">The route pattern as mapped.</param>
/// <param name="Rule">The access rule it must carry.</param>
/// <param name="Path">A request path (and query) that reaches it.</param>
/// <param name="Body">A request body, or null. Harmless: a success with it changes nothing that matters.</param>
/// <param name="Basin">The s2-basin header of S2's stream and record routes, or null.</param>
/// <param name="NotImplemented">The route answers 501 to everyone allowed (S2 features kvdb does not serve).</param>
public sealed record RouteCase(string Method, string Pattern, AccessRule Rule, string Path, string? Body = null, string? Basin = null, bool NotImplemented = false)
{
    public override string ToString() => $"{Method} {Pattern}";
}

public static class RouteTable
{
    // Users the cluster test creates: "writer" may read and write keys under pub/, "nobody" has no role.
    public static readonly RouteCase[] Cases =
    [
        new("GET", "/ping", AccessRule.Probe, "/ping"),
        new("GET", "/livez", AccessRule.Probe, "/livez"),
        new("GET", "/readyz", AccessRule.Probe, "/readyz"),
        new("GET", "/health", AccessRule.Probe, "/health"),
        new("*", "/metrics", AccessRule.Probe, "/metrics"),
        new("GET", "/v1/status", AccessRule.AnyUser, "/v1/status"),
        new("POST", "/internal/v1/propose", AccessRule.Peer, "/internal/v1/propose", "x"),
        new("POST", "/internal/v1/read-index", AccessRule.Peer, "/internal/v1/read-index", ""),
        new("GET", "/internal/v1/snapshots/{index:long}", AccessRule.Peer, "/internal/v1/snapshots/1"),
        new("POST", "/{nodeId:regex(^[0-9]+$)}", AccessRule.Root, "/9", "not a url"),
        new("DELETE", "/{nodeId:regex(^[0-9]+$)}", AccessRule.Root, "/9"),
        new("GET", "/v1/members", AccessRule.AnyUser, "/v1/members"),
        new("POST", "/v1/members", AccessRule.Root, "/v1/members", "{}"),
        new("DELETE", "/v1/members/{nodeId}", AccessRule.Root, "/v1/members/9"),
        new("GET", "/v1/kv", AccessRule.Keys, "/v1/kv?prefix=pub/"),
        new("*", "/v1/kv/{**key}", AccessRule.Keys, "/v1/kv/pub/a"),
        new("GET", "/v1/history/{**key}", AccessRule.Keys, "/v1/history/pub/a"),
        new("PUT", "/api", AccessRule.Keys, "/api", """{"key": "pub/s2", "value": {"Str": "x"}}"""),
        new("DELETE", "/api", AccessRule.Keys, "/api?key=pub/s2"),
        new("GET", "/api/{consistency}", AccessRule.Keys, "/api/Strong?key=pub/a"),
        new("GET", "/v1/log", AccessRule.Root, "/v1/log?limit=1"),
        new("GET", "/v1/snapshot", AccessRule.Root, "/v1/snapshot"),
        new("GET", "/v1/auth/status", AccessRule.Open, "/v1/auth/status"),
        new("POST", "/v1/auth/enable", AccessRule.Root, "/v1/auth/enable"),
        new("POST", "/v1/auth/disable", AccessRule.Root, "/v1/auth/disable"),
        new("POST", "/v1/auth/rotate-key", AccessRule.Root, "/v1/auth/rotate-key"),
        new("POST", "/v1/auth/token", AccessRule.Open, "/v1/auth/token", "{}"),
        new("GET", "/v1/auth/users", AccessRule.Root, "/v1/auth/users"),
        new("POST", "/v1/auth/users", AccessRule.Root, "/v1/auth/users", "{}"),
        new("GET", "/v1/auth/users/{name}", AccessRule.Root, "/v1/auth/users/writer"),
        new("DELETE", "/v1/auth/users/{name}", AccessRule.Root, "/v1/auth/users/ghost"),
        new("PUT", "/v1/auth/users/{name}/password", AccessRule.AnyUser, "/v1/auth/users/nobody/password", "{}"),
        new("POST", "/v1/auth/users/{name}/roles", AccessRule.Root, "/v1/auth/users/ghost/roles", """{"role": "ghost"}"""),
        new("DELETE", "/v1/auth/users/{name}/roles/{role}", AccessRule.Root, "/v1/auth/users/ghost/roles/ghost"),
        new("GET", "/v1/auth/roles", AccessRule.Root, "/v1/auth/roles"),
        new("POST", "/v1/auth/roles", AccessRule.Root, "/v1/auth/roles", "{}"),
        new("GET", "/v1/auth/roles/{name}", AccessRule.Root, "/v1/auth/roles/rw"),
        new("PUT", "/v1/auth/roles/{name}", AccessRule.Root, "/v1/auth/roles/root", "{}"),
        new("DELETE", "/v1/auth/roles/{name}", AccessRule.Root, "/v1/auth/roles/ghost"),
        new("POST", "/v1/leases", AccessRule.AnyUser, "/v1/leases", """{"ttl": "60s"}"""),
        new("GET", "/v1/leases", AccessRule.AnyUser, "/v1/leases"),
        new("GET", "/v1/leases/{id}", AccessRule.AnyUser, "/v1/leases/1"),
        new("POST", "/v1/leases/{id}/keepalive", AccessRule.AnyUser, "/v1/leases/1/keepalive"),
        new("DELETE", "/v1/leases/{id}", AccessRule.AnyUser, "/v1/leases/1"),
        new("POST", "/internal/v1/leases/{id:long}/keepalive", AccessRule.Peer, "/internal/v1/leases/1/keepalive", ""),
        new("GET", "/internal/v1/leases/{id:long}", AccessRule.Peer, "/internal/v1/leases/1"),
        new("POST", "/v1/locks/{name}", AccessRule.Keys, "/v1/locks/pub?ttl=5s&timeout=200ms"),
        new("GET", "/v1/locks/{name}", AccessRule.Keys, "/v1/locks/pub"),
        new("DELETE", "/v1/locks/{name}/{**key}", AccessRule.Keys, "/v1/locks/pub/0000000000000001"),
        new("POST", "/v1/elections/{name}/campaign", AccessRule.Keys, "/v1/elections/pub/campaign?timeout=200ms", """{"value": "me", "ttl": "5s"}"""),
        new("GET", "/v1/elections/{name}", AccessRule.Keys, "/v1/elections/pub"),
        new("GET", "/v1/elections/{name}/observe", AccessRule.Keys, "/v1/elections/pub/observe"),
        new("PUT", "/v1/elections/{name}/proclaim", AccessRule.Keys, "/v1/elections/pub/proclaim", """{"key": "_elections/pub/0000000000000001", "revision": 1, "value": "x"}"""),
        new("POST", "/v1/elections/{name}/resign", AccessRule.Keys, "/v1/elections/pub/resign", """{"key": "_elections/pub/0000000000000001"}"""),
        new("PUT", "/v1/keyspaces/{name}", AccessRule.Root, "/v1/keyspaces/pub"),
        new("GET", "/v1/keyspaces", AccessRule.AnyUser, "/v1/keyspaces"),
        new("GET", "/v1/keyspaces/{name}", AccessRule.Keys, "/v1/keyspaces/pub"),
        new("DELETE", "/v1/keyspaces/{name}", AccessRule.Root, "/v1/keyspaces/ghost"),
        new("GET", "/v1/keyspaces/{name}/lists", AccessRule.Keys, "/v1/keyspaces/pub/lists"),
        new("GET", "/v1/keyspaces/{name}/lists/{**key}", AccessRule.Keys, "/v1/keyspaces/pub/lists/a"),
        new("POST", "/v1/lists/{keyspace}/{**key}", AccessRule.Keys, "/v1/lists/pub/a", """{"items": [{"value": "x"}]}"""),
        new("GET", "/v1/lists/{keyspace}/{**key}", AccessRule.Keys, "/v1/lists/pub/a"),
        new("GET", "/v1/basins", AccessRule.AnyUser, "/v1/basins"),
        new("POST", "/v1/basins", AccessRule.Root, "/v1/basins", """{"basin": "ghost-basin"}"""),
        new("GET", "/v1/basins/{basin}", AccessRule.Keys, "/v1/basins/pub-basin"),
        new("PUT", "/v1/basins/{basin}", AccessRule.Root, "/v1/basins/ghost-basin", """{"config": {}}"""),
        new("DELETE", "/v1/basins/{basin}", AccessRule.Root, "/v1/basins/ghost-basin"),
        new("GET", "/v1/streams", AccessRule.AnyUser, "/v1/streams", Basin: "pub-basin"),
        new("POST", "/v1/streams", AccessRule.Keys, "/v1/streams", """{"stream": "s"}""", Basin: "pub-basin"),
        new("GET", "/v1/streams/{stream}", AccessRule.Keys, "/v1/streams/s", Basin: "pub-basin"),
        new("PUT", "/v1/streams/{stream}", AccessRule.Keys, "/v1/streams/s", """{"storage_class": "standard"}""", Basin: "pub-basin"),
        new("PATCH", "/v1/streams/{stream}", AccessRule.Keys, "/v1/streams/s", """{"storage_class": "standard"}""", Basin: "pub-basin"),
        new("DELETE", "/v1/streams/{stream}", AccessRule.Keys, "/v1/streams/s", Basin: "pub-basin"),
        new("POST", "/v1/streams/{stream}/records", AccessRule.Keys, "/v1/streams/s/records", """{"records": [{"body": "x"}]}""", Basin: "pub-basin"),
        new("GET", "/v1/streams/{stream}/records", AccessRule.Keys, "/v1/streams/s/records?seq_num=0", Basin: "pub-basin"),
        new("GET", "/v1/streams/{stream}/records/tail", AccessRule.Keys, "/v1/streams/s/records/tail", Basin: "pub-basin"),
        new("GET", "/v1/access-tokens", AccessRule.AnyUser, "/v1/access-tokens", NotImplemented: true),
        new("POST", "/v1/access-tokens", AccessRule.AnyUser, "/v1/access-tokens", NotImplemented: true),
        new("PUT", "/v1/access-tokens", AccessRule.AnyUser, "/v1/access-tokens", NotImplemented: true),
        new("DELETE", "/v1/access-tokens", AccessRule.AnyUser, "/v1/access-tokens", NotImplemented: true),
        new("GET", "/v1/access-tokens/{id}", AccessRule.AnyUser, "/v1/access-tokens/x", NotImplemented: true),
        new("POST", "/v1/access-tokens/{id}", AccessRule.AnyUser, "/v1/access-tokens/x", NotImplemented: true),
        new("PUT", "/v1/access-tokens/{id}", AccessRule.AnyUser, "/v1/access-tokens/x", NotImplemented: true),
        new("DELETE", "/v1/access-tokens/{id}", AccessRule.AnyUser, "/v1/access-tokens/x", NotImplemented: true),
        new("GET", "/v1/metrics", AccessRule.AnyUser, "/v1/metrics", NotImplemented: true),
        new("POST", "/v1/metrics", AccessRule.AnyUser, "/v1/metrics", NotImplemented: true),
        new("PUT", "/v1/metrics", AccessRule.AnyUser, "/v1/metrics", NotImplemented: true),
        new("DELETE", "/v1/metrics", AccessRule.AnyUser, "/v1/metrics", NotImplemented: true),
        new("GET", "/v1/metrics/{basin}", AccessRule.AnyUser, "/v1/metrics/pub-basin", NotImplemented: true),
        new("POST", "/v1/metrics/{basin}", AccessRule.AnyUser, "/v1/metrics/pub-basin", NotImplemented: true),
        new("PUT", "/v1/metrics/{basin}", AccessRule.AnyUser, "/v1/metrics/pub-basin", NotImplemented: true),
        new("DELETE", "/v1/metrics/{basin}", AccessRule.AnyUser, "/v1/metrics/pub-basin", NotImplemented: true),
        new("GET", "/v1/metrics/{basin}/{stream}", AccessRule.AnyUser, "/v1/metrics/pub-basin/s", NotImplemented: true),
        new("POST", "/v1/metrics/{basin}/{stream}", AccessRule.AnyUser, "/v1/metrics/pub-basin/s", NotImplemented: true),
        new("PUT", "/v1/metrics/{basin}/{stream}", AccessRule.AnyUser, "/v1/metrics/pub-basin/s", NotImplemented: true),
        new("DELETE", "/v1/metrics/{basin}/{stream}", AccessRule.AnyUser, "/v1/metrics/pub-basin/s", NotImplemented: true),
        new("GET", "/v1/locations", AccessRule.AnyUser, "/v1/locations", NotImplemented: true),
        new("POST", "/v1/locations", AccessRule.AnyUser, "/v1/locations", NotImplemented: true),
        new("PUT", "/v1/locations", AccessRule.AnyUser, "/v1/locations", NotImplemented: true),
        new("DELETE", "/v1/locations", AccessRule.AnyUser, "/v1/locations", NotImplemented: true),
        new("GET", "/v1/locations/default", AccessRule.AnyUser, "/v1/locations/default", NotImplemented: true),
        new("POST", "/v1/locations/default", AccessRule.AnyUser, "/v1/locations/default", NotImplemented: true),
        new("PUT", "/v1/locations/default", AccessRule.AnyUser, "/v1/locations/default", NotImplemented: true),
        new("DELETE", "/v1/locations/default", AccessRule.AnyUser, "/v1/locations/default", NotImplemented: true),
        new("POST", "/v1/txn", AccessRule.Keys, "/v1/txn", """{"if": [{"key": "pub/a", "target": "exists", "op": "==", "value": false}], "then": [{"put": {"key": "pub/t", "value": "1"}}]}"""),
        new("GET", "/v1/watch", AccessRule.Keys, "/v1/watch?prefix=pub/&after=0&progress=100ms"),
        new("GET", "/openapi/{documentName}.json", AccessRule.Open, "/openapi/v1.json"),
        new("GET", "/scalar/{documentName?}", AccessRule.Open, "/scalar/"),
        new("GET", "/scalar/scalar.js", AccessRule.Open, "/scalar/scalar.js"),
        new("GET", "/scalar/scalar.aspnetcore.js", AccessRule.Open, "/scalar/scalar.aspnetcore.js"),
        new("GET", "/scalar/favicon.svg", AccessRule.Open, "/scalar/favicon.svg"),
        new("GET", "/ui/{**path}", AccessRule.Open, "/ui/app.js"),
        new("HEAD", "/ui/{**path}", AccessRule.Open, "/ui/"),
        new("GET", "/ui/api/session", AccessRule.AnyUser, "/ui/api/session"),
        new("GET", "/ui/api/cluster", AccessRule.AnyUser, "/ui/api/cluster"),
        new("*", "/{**key}", AccessRule.Keys, "/pub/a"),
    ];
}
