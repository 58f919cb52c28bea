// --openapi-access: parsed from the flag or KVDB_OPENAPI_ACCESS, open by default, and with off
// neither the document nor the reference page is mapped (in-process, no member started).
using KvDb.Node.OpenApi;
using Microsoft.AspNetCore.Routing;

namespace KvDb.Tests.OpenApi;

public sealed class OpenApiAccessTests
{
    private static CommandLineOutcome Parse(string[] args, string? environment = null)
        => CommandLine.Parse(args, name => name == "KVDB_OPENAPI_ACCESS" ? environment : null);

    [Theory]
    [InlineData(new string[0], null, OpenApiAccess.Open)]
    [InlineData(new[] { "--openapi-access", "authenticated" }, null, OpenApiAccess.Authenticated)]
    [InlineData(new[] { "--openapi-access=OFF" }, null, OpenApiAccess.Off)]
    [InlineData(new string[0], "off", OpenApiAccess.Off)]
    [InlineData(new[] { "--openapi-access", "open" }, "off", OpenApiAccess.Open)]
    public void The_flag_and_its_environment_variable_set_the_access(string[] args, string? environment, OpenApiAccess expected)
        => Parse(args, environment).Should().BeOfType<CommandLineOutcome.Run>().Which.Options.OpenApiAccess.Should().Be(expected);

    [Fact]
    public void A_bad_value_is_one_line_naming_the_flag_and_the_choices()
        => Parse(["--openapi-access", "public"]).Should().BeOfType<CommandLineOutcome.Error>()
            .Which.Message.Should().Contain("--openapi-access").And.Contain("open, authenticated or off");

    [Fact]
    public void Help_lists_the_flag_with_its_environment_variable()
        => CommandLine.Help().Should().Contain("--openapi-access").And.Contain("KVDB_OPENAPI_ACCESS");

    [Theory]
    [InlineData(OpenApiAccess.Open, AccessRule.Open)]
    [InlineData(OpenApiAccess.Authenticated, AccessRule.AnyUser)]
    public async Task The_documentation_routes_carry_the_rule_of_the_flag(OpenApiAccess access, AccessRule rule)
    {
        var routes = await DocumentationRoutesAsync(access);
        routes.Should().HaveCount(5, "the document, the page and Scalar's three assets");
        routes.Should().OnlyContain(r => r.Metadata.GetMetadata<AccessRuleMetadata>()!.Rule == rule);
        routes.Should().OnlyContain(static r => r.Metadata.GetMetadata<PeerOnlyAttribute>() == null);
    }

    [Fact]
    public async Task Off_maps_neither_the_document_nor_the_page()
        => (await DocumentationRoutesAsync(OpenApiAccess.Off)).Should().BeEmpty();

    [Fact]
    public async Task Describing_endpoints_leaves_routing_alone()
    {
        // ASP.NET Core's Accepts metadata makes routing answer 415 to other content types; kvdb's
        // handlers read bodies of any type themselves, so bodies are described with DescribeBody.
        await using var app = NodeComposition.BuildApp(OpenApiDocumentTests.TestOptions());
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(static d => d.Endpoints).OfType<RouteEndpoint>().ToList();
        endpoints.Where(static e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is not null)
            .Select(static e => e.RoutePattern.RawText).Should().BeEmpty();
        endpoints.Where(static e => e.Metadata.GetMetadata<DescribedMethodsMetadata>() is not null)
            .Should().OnlyContain(static e => e.Metadata.GetMetadata<IHttpMethodMetadata>() == null, "described methods leave the endpoint open to every method");
    }

    private static async Task<List<RouteEndpoint>> DocumentationRoutesAsync(OpenApiAccess access)
    {
        await using var app = NodeComposition.BuildApp(OpenApiDocumentTests.TestOptions(access));
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(static d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(static e => e.RoutePattern.RawText!.StartsWith("/openapi/", StringComparison.Ordinal) || e.RoutePattern.RawText.StartsWith("/scalar", StringComparison.Ordinal))];
    }
}
