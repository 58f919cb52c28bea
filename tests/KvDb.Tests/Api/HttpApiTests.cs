// The kv-db HTTP API of a single in-memory member: status codes, problem details, keys.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Api;

/// <summary>One single-member, in-memory kvdb shared by the tests of <see cref="HttpApiTests"/>.</summary>
public sealed class SingleMemberFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--max-value-bytes", "1024");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class HttpApiTests(SingleMemberFixture fixture) : IClassFixture<SingleMemberFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private HttpClient Client => Cluster.Client;

    private Uri Raw(string pathAndQuery) => new(Cluster.Url(1), pathAndQuery);

    [Fact]
    public async Task Put_then_get_returns_the_exact_bytes()
    {
        var bytes = new byte[] { 0, 1, 2, 255, 254, 10, 13 };
        using var put = await Client.PutAsync(Cluster.KeyUrl(1, "binary"), new ByteArrayContent(bytes));
        put.StatusCode.Should().Be(HttpStatusCode.NoContent);

        using var get = await Client.GetAsync(Cluster.KeyUrl(1, "binary"));
        get.StatusCode.Should().Be(HttpStatusCode.OK);
        (await get.Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    [Fact]
    public async Task A_missing_key_is_404_with_problem_details()
    {
        using var response = await Client.GetAsync(Cluster.KeyUrl(1, "never-written"));
        await ShouldBeProblem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Percent_encoded_slash_is_part_of_the_key_and_unicode_keys_work()
    {
        using (var put = await Client.PutAsync(Raw("a%2Fb"), new StringContent("slashed")))
            put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Client.GetStringAsync(Raw("a%2Fb"))).Should().Be("slashed");
        (await Client.GetStringAsync(Raw("a/b"))).Should().Be("slashed", "/a/b and /a%2Fb name the same key a/b");

        await Cluster.PutWithRetryAsync(1, "ключ-🔑", "unicode");
        (await Cluster.GetAsync(1, "ключ-🔑")).Should().Be("unicode");
    }

    [Fact]
    public async Task Bad_keys_are_400_and_store_nothing()
    {
        await ShouldBeProblem(await Client.PutAsync(Raw(""), new StringContent("x")), HttpStatusCode.BadRequest, HttpStatusCode.MethodNotAllowed);
        foreach (var target in new[] { "/bad%zzescape", "/trailing%4", "/not-utf8-%FF%FE" })
        {
            var (status, head, body) = await RawHttp.SendAsync(Cluster.Url(1), $"PUT {target} HTTP/1.1\nHost: x\nContent-Length: 1\n", "x"u8.ToArray());
            status.Should().Be(400, $"{target}: {body}");
            head.Should().Contain("application/problem+json");
        }

        await ShouldBeProblem(await Client.PutAsync(Raw("not-utf8-%FF%FE"), new StringContent("x")), HttpStatusCode.BadRequest);
        await ShouldBeProblem(await Client.PutAsync(Raw(new string('k', 4097)), new StringContent("x")), HttpStatusCode.BadRequest);

        // The longest allowed key works.
        var longest = new string('k', 4096);
        (await Client.PutAsync(Raw(longest), new StringContent("edge"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Client.GetStringAsync(Raw(longest))).Should().Be("edge");
    }

    [Fact]
    public async Task A_value_over_the_limit_is_413_and_the_old_value_survives()
    {
        await Cluster.PutWithRetryAsync(1, "limited", "small");
        using var tooBig = await Client.PutAsync(Cluster.KeyUrl(1, "limited"), new ByteArrayContent(new byte[1025]));
        await ShouldBeProblem(tooBig, HttpStatusCode.RequestEntityTooLarge);
        (await Cluster.GetAsync(1, "limited")).Should().Be("small");

        using var atLimit = await Client.PutAsync(Cluster.KeyUrl(1, "limited"), new ByteArrayContent(new byte[1024]));
        atLimit.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_too()
    {
        var content = new StreamContent(new MemoryStream(new byte[5000]));
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Put, Cluster.KeyUrl(1, "chunked")) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Client.SendAsync(request);
        await ShouldBeProblem(response, HttpStatusCode.RequestEntityTooLarge);
        (await Cluster.GetAsync(1, "chunked")).Should().BeNull();
    }

    [Fact]
    public async Task Unsupported_methods_are_405_with_allow()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, Cluster.KeyUrl(1, "some-key")) { Content = new StringContent("x") };
        using var response = await Client.SendAsync(request);
        await ShouldBeProblem(response, HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().Contain("GET").And.Contain("PUT");
    }

    [Fact]
    public async Task An_unknown_consistency_is_400_naming_the_valid_ones()
    {
        await Cluster.PutWithRetryAsync(1, "c", "v");
        using var response = await Client.GetAsync(Cluster.KeyUrl(1, "c", "consistency=sometimes"));
        var problem = await ShouldBeProblem(response, HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("linearizable").And.Contain("local");
        (await Cluster.GetAsync(1, "c", "consistency=local")).Should().Be("v");
    }

    [Fact]
    public async Task Ping_answers_pong()
    {
        (await Client.GetStringAsync(Raw("ping"))).Should().Be("pong");
    }

    [Fact]
    public async Task An_empty_value_is_stored_and_read_back_empty()
    {
        using (var put = await Client.PutAsync(Cluster.KeyUrl(1, "empty"), new ByteArrayContent([])))
            put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var get = await Client.GetAsync(Cluster.KeyUrl(1, "empty"));
        get.StatusCode.Should().Be(HttpStatusCode.OK);
        (await get.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
    }

    private static async Task<JsonElement> ShouldBeProblem(HttpResponseMessage response, params HttpStatusCode[] statuses)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            statuses.Should().Contain(response.StatusCode, body);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
            var json = JsonDocument.Parse(body).RootElement.Clone();
            json.GetProperty("status").GetInt32().Should().Be((int)response.StatusCode);
            json.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
            return json;
        }
    }
}
