// Every route of the app carries an access rule, and RouteTable lists each one with that
// rule: a new endpoint without a rule (or without a case in the table) fails here.
using KvDb.Tests.Hosting;
using Microsoft.AspNetCore.Routing;

namespace KvDb.Tests.Auth;

public sealed class RouteTableTests
{
    [Fact]
    public async Task Every_route_has_an_access_rule_and_a_case_in_the_route_table()
    {
        await using var app = NodeComposition.BuildApp(UnstartedMember.Options("route-table"));
        var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(static d => d.Endpoints).OfType<RouteEndpoint>().ToList();
        routes.Should().NotBeEmpty();

        foreach (var route in routes)
        {
            var pattern = route.RoutePattern.RawText!;
            var methods = route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var rule = route.Metadata.GetMetadata<AccessRuleMetadata>();
            rule.Should().NotBeNull($"{string.Join(",", methods)} {pattern} needs an access rule (.Allow(AccessRule...))");
            foreach (var method in methods)
            {
                RouteTable.Cases.Any(c => c.Pattern == pattern && c.Method == method && c.Rule == rule!.Rule).Should().BeTrue(
                    $"RouteTable must list {method} {pattern} with rule {rule!.Rule}, so the auth tests exercise it");
            }
        }

        foreach (var @case in RouteTable.Cases)
        {
            routes.Any(r => r.RoutePattern.RawText == @case.Pattern).Should().BeTrue($"{@case} is in the table but not mapped any more");
        }
    }
}
