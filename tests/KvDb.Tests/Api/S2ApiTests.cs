// The S2 key-value example run against kvdb, with its curl commands as written there: typed
// values, Strong and Eventual reads, the log as JSON, and the throttling experiment.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Api;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2ApiTests(ThreeMemberFixture fixture) : IClassFixture<ThreeMemberFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private HttpClient Client => Cluster.Client;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> PutApiAsync(int member, string json)
        => await Client.PutAsync(new Uri(Cluster.Url(member), "api"), Json(json));

    private Uri Read(int member, string consistency, string key)
        => new(Cluster.Url(member), $"api/{consistency}?key={Uri.EscapeDataString(key)}");

    [Fact]
    public async Task The_documents_writes_read_back_typed_on_every_member()
    {
        (await PutApiAsync(1, """{"key": "hello world", "value": {"Str": "world"}}""")).IsSuccessStatusCode.Should().BeTrue();
        (await PutApiAsync(2, """{"key": "s2", "value": {"Set": [{"Str": "is really cool"}, {"Str": "is really cool"}, {"UInt": 1337}]}}""")).IsSuccessStatusCode.Should().BeTrue();
        (await PutApiAsync(3, """{"key": "map-sample", "value": {"Map": {"k1": {"Str": "hello"}}}}""")).IsSuccessStatusCode.Should().BeTrue();

        (await Client.GetStringAsync(Read(2, "Strong", "hello world"))).Should().Be("""{"key":"hello world","value":{"Str":"world"}}""");
        (await Client.GetStringAsync(new Uri(Cluster.Url(3), "api/Strong/?key=s2"))).Should().Be("""{"key":"s2","value":{"Set":[{"Str":"is really cool"},{"UInt":1337}]}}""");
        (await Client.GetStringAsync(Read(1, "Eventual", "map-sample"))).Should().Be("""{"key":"map-sample","value":{"Map":{"k1":{"Str":"hello"}}}}""");

        // One keyspace: a typed value read through the raw API is its JSON.
        using var raw = await Client.GetAsync(Cluster.KeyUrl(1, "s2"));
        raw.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        (await raw.Content.ReadAsStringAsync()).Should().Be("""{"Set":[{"Str":"is really cool"},{"UInt":1337}]}""");
    }

    [Fact]
    public async Task A_raw_value_reads_as_Str_when_it_is_text_and_422_when_it_is_not()
    {
        await Cluster.PutWithRetryAsync(1, "raw-text", "plain text");
        (await Client.GetStringAsync(Read(2, "Strong", "raw-text"))).Should().Be("""{"key":"raw-text","value":{"Str":"plain text"}}""");

        using (var put = await Client.PutAsync(Cluster.KeyUrl(1, "raw-bytes"), new ByteArrayContent([0xC3, 0x28])))
            put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var get = await Client.GetAsync(Read(1, "Strong", "raw-bytes"));
        get.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Delete_removes_the_key_and_a_missing_key_is_404()
    {
        (await PutApiAsync(1, """{"key": "hello", "value": {"UInt": 1}}""")).IsSuccessStatusCode.Should().BeTrue();
        (await Client.DeleteAsync(new Uri(Cluster.Url(2), "api?key=hello"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Client.GetAsync(Read(3, "Strong", "hello"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{\"key\": \"k\", \"value\": {\"Strr\": \"x\"}}", "Strr")]
    [InlineData("{\"key\": \"k\", \"value\": {\"Int\": 1.5}}", "$.value.Int")]
    [InlineData("{\"key\": \"k\", \"value\": {\"UInt\": -1}}", "$.value.UInt")]
    [InlineData("{\"key\": \"k\"}", "value")]
    [InlineData("{\"key\": \"\", \"value\": {\"Bool\": true}}", "empty")]
    [InlineData("{not json", "$")]
    [InlineData("{\"key\": \"k\", \"value\": {\"List\": [[{\"Bool\": true}]]}}", "$.value.List[0]")]
    public async Task Bad_bodies_are_400_saying_where(string body, string expected)
    {
        using var response = await PutApiAsync(1, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        text.Should().ContainEquivalentOf(expected);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_is_400_and_the_limit_itself_is_accepted()
    {
        static string Nested(int depth) => depth == 1 ? "{\"Bool\": true}" : "{\"List\": [" + Nested(depth - 1) + "]}";

        (await PutApiAsync(1, "{\"key\": \"deep\", \"value\": " + Nested(32) + "}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var tooDeep = await PutApiAsync(1, "{\"key\": \"deeper\", \"value\": " + Nested(33) + "}");
        tooDeep.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await tooDeep.Content.ReadAsStringAsync()).Should().ContainEquivalentOf("deep");
    }

    [Fact]
    public async Task A_wrong_consistency_name_is_400_naming_the_valid_ones()
    {
        using var response = await Client.GetAsync(Read(1, "Sometimes", "k"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Strong").And.Contain("Eventual");
    }

    [Fact]
    public async Task The_log_reads_as_json_lines_with_puts_deletes_and_membership()
    {
        (await PutApiAsync(1, """{"key": "logged", "value": {"UInt": 2}}""")).IsSuccessStatusCode.Should().BeTrue();
        (await Client.DeleteAsync(new Uri(Cluster.Url(1), "api?key=logged"))).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var lines = await ReadLogAsync(2, "from=1&limit=10000");
        lines.Should().Contain(l => l.Contains("\"BootstrapMembers\""));
        var put = lines.Single(l => l.Contains("\"Put\":{\"key\":\"logged\""));
        put.Should().MatchRegex("""^\{"index":\d+,"term":\d+,"Put":\{"key":"logged","value":\{"UInt":2\}\}\}$""");
        lines.Should().Contain(l => l.Contains("\"Delete\":{\"key\":\"logged\"}"));

        var indices = lines.Select(l => JsonDocument.Parse(l, new JsonDocumentOptions { MaxDepth = 256 }).RootElement.GetProperty("index").GetInt64()).ToList();
        indices.Should().BeInAscendingOrder();

        var limited = await ReadLogAsync(2, $"from={indices[1]}&limit=1");
        limited.Should().OnlyContain(l => l.StartsWith($"{{\"index\":{indices[1]},"));
    }

    [Theory]
    [InlineData("from=0")]
    [InlineData("from=-1")]
    [InlineData("limit=0")]
    [InlineData("limit=100000")]
    [InlineData("from=abc")]
    public async Task Bad_log_queries_are_400(string query)
    {
        using var response = await Client.GetAsync(new Uri(Cluster.Url(1), "v1/log?" + query));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    private async Task<List<string>> ReadLogAsync(int member, string query)
    {
        using var response = await Client.GetAsync(new Uri(Cluster.Url(member), "v1/log?" + query));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/x-ndjson");
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}

/// <summary>The document's experiment: a member that applies slowly, Eventual versus Strong reads.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2ThrottleExperimentTests
{
    [Fact]
    public async Task Twenty_concurrent_puts_succeed_and_a_throttled_member_answers_eventual_at_once_and_strong_after_catching_up()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--request-timeout", "30s");

        // Restart member 2 with the apply throttle, as the document starts its second node.
        (await cluster.Member(2).StopAsync(TimeSpan.FromSeconds(20))).Should().Be(0);
        cluster.Retire(cluster.Member(2));
        cluster.Members[1] = new KvdbProcess(2, [.. cluster.Member(2).Args, "--throttle-apply", "100ms"]);
        cluster.Member(2).Start();
        await cluster.WaitUntilServingAsync();

        var puts = Enumerable.Range(1, 20).Select(i => cluster.Client.PutAsync(new Uri(cluster.Url(1), "api"),
            new StringContent("{\"key\": \"hello\", \"value\": {\"UInt\": " + i + "}}", Encoding.UTF8, "application/json")));
        var responses = await Task.WhenAll(puts);
        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.NoContent, "all 20 concurrent puts succeed");

        using var eventual = await cluster.Client.GetAsync(new Uri(cluster.Url(2), "api/Eventual?key=hello"));
        eventual.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.NotFound);
        if (eventual.StatusCode is HttpStatusCode.OK)
            (await eventual.Content.ReadAsStringAsync()).Should().MatchRegex("""^\{"key":"hello","value":\{"UInt":([1-9]|1[0-9]|20)\}\}$""");

        var leaders = await cluster.Client.GetStringAsync(new Uri(cluster.Url(1), "api/Strong?key=hello"));
        var strong = await cluster.Client.GetStringAsync(new Uri(cluster.Url(2), "api/Strong?key=hello"));
        strong.Should().Be(leaders, "a Strong read on the lagging member waits until it has applied what was committed");
    }
}
