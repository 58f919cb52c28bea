// The OpenAPI document and the API reference on a running member: the document loads with
// Microsoft.OpenApi's reader without errors and describes every client route of the app (each
// method of each route in its EndpointDataSource, peer-only routes and the documentation routes
// themselves aside); /scalar/ is an HTML page whose script comes from the member, not a CDN;
// the peer port does not serve them; with --openapi-access authenticated and auth enabled an
// anonymous caller gets 401 problem details.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using KvDb.Node.OpenApi;
using KvDb.Tests.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace KvDb.Tests.OpenApi;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed partial class OpenApiDocumentTests
{
    // The tags endpoints are grouped by, one per resource.
    private static readonly string[] Tags = ["keys", "watch", "transactions", "leases", "locks", "elections", "lists", "s2", "auth", "members", "backups", "operations"];

    [Fact]
    public async Task The_document_loads_without_errors_and_describes_every_client_route()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(1), "openapi/v1.json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var json = await response.Content.ReadAsStringAsync();

        var read = OpenApiDocument.Parse(json, "json");
        read.Diagnostic!.Errors.Should().BeEmpty(string.Join("; ", read.Diagnostic.Errors.Select(static e => $"{e.Pointer}: {e.Message}")));
        var document = read.Document!;
        document.Paths.Should().NotBeEmpty();

        // Path signatures with the parameter names left out: OpenAPI treats /{a} and /{b} as the same path.
        var operations = document.Paths
            .SelectMany(static path => path.Value.Operations!.Select(op => (Signature: Signature(path.Key), Method: op.Key.Method.ToUpperInvariant(), Operation: op.Value)))
            .ToList();

        var routes = ClientRoutes(TestOptions());
        routes.Should().NotBeEmpty();
        var missing = routes.Where(r => !operations.Any(o => o.Signature == Signature(r.Template) && o.Method == r.Method)).ToList();
        missing.Should().BeEmpty("every client route is in the document: " + string.Join(", ", missing.Select(static r => $"{r.Method} {r.Template}")));

        // Nothing peer-only or internal is described, and each operation is grouped by its resource.
        document.Paths.Keys.Should().NotContain(static p => p.StartsWith("/internal/", StringComparison.Ordinal));
        foreach (var (signature, method, operation) in operations)
        {
            operation.Tags.Should().NotBeNullOrEmpty($"{method} {signature} has a tag");
            Tags.Should().Contain(operation.Tags!.Single().Name, $"{method} {signature} is tagged by its resource");
            operation.OperationId.Should().NotBeNullOrEmpty($"{method} {signature} has an endpoint name");
            operation.Responses!.Keys.Should().Contain(static code => code[0] == '2' || code[0] == '3' || code == "501", $"{method} {signature} documents its success (or that it is not implemented)");
        }

        operations.Select(static o => o.Operation.OperationId).Should().OnlyHaveUniqueItems();
        document.Tags!.Select(static t => t.Name).Should().BeEquivalentTo(Tags, "the document lists each resource's tag");

        // Refusals are documented as problem details where the access rule can refuse.
        var put = operations.Single(static o => o.Signature == "/v1/kv/{}" && o.Method == "PUT").Operation;
        put.Responses!.Keys.Should().Contain(["400", "401", "403", "412", "413", "503", "507"]);
        put.Responses["401"].Content!.Keys.Should().Contain("application/problem+json");
        put.Security.Should().NotBeNullOrEmpty();
        operations.Single(static o => o.Signature == "/v1/auth/status").Operation.Security.Should().BeNullOrEmpty("the auth status is open");

        // Bodies the handlers parse themselves are described, only for the methods that send one.
        put.RequestBody!.Content!.Keys.Should().Contain("application/octet-stream");
        operations.Single(static o => o.Signature == "/v1/kv/{}" && o.Method == "GET").Operation.RequestBody.Should().BeNull();
        operations.Single(static o => o.Signature == "/v1/txn").Operation.RequestBody!.Content!.Keys.Should().Contain("application/json");
        operations.Single(static o => o.Signature == "/v1/lists/{}/{}" && o.Method == "POST").Operation.RequestBody!.Content!.Keys.Should().Contain(["application/json", "application/x-ndjson"]);
        operations.Single(static o => o.Signature == "/v1/kv" && o.Method == "GET").Operation.Parameters!.Select(static p => p.Name).Should().Contain(["prefix", "start", "end", "limit", "continuation", "consistency", "revision"]);
        operations.Single(static o => o.Signature == "/v1/kv/{}" && o.Method == "GET").Operation.Parameters!.Select(static p => p.Name).Should().Contain("revision");
        operations.Single(static o => o.Signature == "/v1/history/{}" && o.Method == "GET").Operation.Parameters!.Select(static p => p.Name).Should().Contain(["before", "limit", "consistency"]);
        document.Components!.SecuritySchemes!.Keys.Should().Contain(["basic", "bearer"]);
    }

    [Fact]
    public async Task The_reference_page_is_html_whose_scripts_come_from_the_member_and_the_peer_port_serves_neither()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        var client = cluster.Client;

        using (var page = await client.GetAsync(new Uri(cluster.Url(1), "scalar/")))
        {
            page.StatusCode.Should().Be(HttpStatusCode.OK);
            page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
            var html = await page.Content.ReadAsStringAsync();
            html.Should().Contain("scalar.js").And.Contain("openapi/v1.json");

            // Offline: every script the page loads is a relative URL this member serves.
            ScriptSources(html).Should().NotBeEmpty().And.OnlyContain(static src => !src.Contains("//"), "no CDN");
            html.Should().Contain("\"withDefaultFonts\":false", "the default fonts come from a CDN");
            foreach (var src in ScriptSources(html))
            {
                using var script = await client.GetAsync(new Uri(cluster.Url(1), "scalar/" + src));
                script.StatusCode.Should().Be(HttpStatusCode.OK, src);
                script.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript", src);
            }
        }

        using (var redirect = await GetWithoutRedirectAsync(cluster.Url(1), "scalar"))
            redirect.StatusCode.Should().Be(HttpStatusCode.Found, "/scalar redirects to /scalar/ so the page's relative URLs work");

        var peer = new Uri(cluster.PeerUrl(1) + "/");
        foreach (var path in new[] { "openapi/v1.json", "scalar/", "scalar/scalar.js" })
        {
            using var refused = await client.GetAsync(new Uri(peer, path));
            refused.StatusCode.Should().Be(HttpStatusCode.NotFound, $"the peer port does not serve /{path}");
        }
    }

    [Fact]
    public async Task With_access_authenticated_and_auth_enabled_an_anonymous_caller_gets_401_problem_details()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--openapi-access", "authenticated");
        var client = cluster.Client;
        (await client.GetAsync(new Uri(cluster.Url(1), "openapi/v1.json"))).StatusCode.Should().Be(HttpStatusCode.OK, "with auth off every endpoint is open");

        using (var root = await client.PostAsync(new Uri(cluster.Url(1), "v1/auth/users"), Json("""{"name": "root", "password": "rootpw"}""")))
            root.StatusCode.Should().Be(HttpStatusCode.Created);
        using (var enable = await client.PostAsync(new Uri(cluster.Url(1), "v1/auth/enable"), null))
            enable.StatusCode.Should().Be(HttpStatusCode.OK);

        foreach (var path in new[] { "openapi/v1.json", "scalar/", "scalar/scalar.js" })
        {
            using var anonymous = await client.GetAsync(new Uri(cluster.Url(1), path));
            anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized, path);
            anonymous.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", path);
            anonymous.Headers.WwwAuthenticate.Should().NotBeEmpty(path);

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Url(1), path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("root:rootpw")));
            using var user = await client.SendAsync(request);
            user.StatusCode.Should().Be(HttpStatusCode.OK, path);
        }

        // Probes stay open: the flag is about the documentation only.
        (await client.GetAsync(new Uri(cluster.Url(1), "ping"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>Each method of each client route of an app built with <paramref name="options"/>: what the document must describe.</summary>
    internal static List<(string Method, string Template)> ClientRoutes(NodeOptions options)
    {
        var app = NodeComposition.BuildApp(options);
        try
        {
            var routes = new List<(string, string)>();
            foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(static d => d.Endpoints).OfType<RouteEndpoint>())
            {
                var template = endpoint.RoutePattern.RawText!;
                if (endpoint.Metadata.GetMetadata<PeerOnlyAttribute>() is not null || template.StartsWith("/internal/", StringComparison.Ordinal)
                    || template.StartsWith("/openapi/", StringComparison.Ordinal) || template.StartsWith("/scalar", StringComparison.Ordinal))
                    continue;

                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods
                    ?? endpoint.Metadata.GetMetadata<DescribedMethodsMetadata>()?.Methods
                    ?? ["(any method: add .DescribeMethods(...))"];
                routes.AddRange(methods.Select(method => (method, template)));
            }

            return routes;
        }
        finally
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    internal static NodeOptions TestOptions(OpenApiAccess access = OpenApiAccess.Open)
        => UnstartedMember.Options("openapi") with { OpenApiAccess = access };

    /// <summary>A route template or document path with parameter names, constraints and catch-all markers left out: /v1/kv/{**key} and /v1/kv/{key} are both /v1/kv/{}.</summary>
    internal static string Signature(string template) => Parameter().Replace(template, "{}");

    private static IEnumerable<string> ScriptSources(string html)
        => ScriptSource().Matches(html).Select(static m => m.Groups[1].Value);

    private static async Task<HttpResponseMessage> GetWithoutRedirectAsync(Uri member, string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        return await client.GetAsync(new Uri(member, path));
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    // {name}, {name?}, {*name}, {**name}, {name:constraint(...)}: the regex constraint may hold braces and colons.
    [GeneratedRegex(@"\{\*{0,2}[A-Za-z0-9_]+(:[^/]*)?\??\}")]
    private static partial Regex Parameter();

    [GeneratedRegex("""<script[^>]*\ssrc="([^"]+)"[^>]*>""")]
    private static partial Regex ScriptSource();
}
