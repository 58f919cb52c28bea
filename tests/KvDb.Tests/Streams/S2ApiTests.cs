// S2's API against real members, without auth: the answers S2's clients parse (provision
// results, acks, 412 and 416 bodies), a follower that serves every call, Server-Sent Events
// that follow the tail, and bad input: 400 or 422 with problem details that carry S2's code,
// never a 500, and nothing stored changed.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Streams;

public sealed class S2ClusterFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        await Cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2ApiTests(S2ClusterFixture fixture) : IClassFixture<S2ClusterFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private async Task<int> FollowerAsync() => (await Cluster.WaitForLeaderAsync()) % 3 + 1;

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(int member, string method, string path, string? body = null, string? basin = null, string contentType = "application/json", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Cluster.Url(member), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        if (basin is not null)
            request.Headers.Add("s2-basin", basin);
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await Cluster.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<string> NewStreamAsync(string basin, string stream)
    {
        var member = await FollowerAsync();
        var (status, text, _) = await SendAsync(member, "POST", "/v1/basins", $$"""{"basin": "{{basin}}"}""");
        status.Should().Be(HttpStatusCode.Created, text);
        (status, text, _) = await SendAsync(member, "POST", "/v1/streams", $$"""{"stream": "{{stream}}"}""", basin);
        status.Should().Be(HttpStatusCode.Created, text);
        return basin;
    }

    [Fact]
    public async Task A_follower_creates_appends_and_reads_with_the_answers_S2_clients_parse()
    {
        var member = await FollowerAsync();
        var (status, body, response) = await SendAsync(member, "POST", "/v1/basins", """{"basin": "answers-basin"}""", headers: ("s2-request-token", "tok-1"));
        status.Should().Be(HttpStatusCode.Created, body);
        response.Headers.GetValues("s2-provision-result").Should().Equal("created");
        (status, _, response) = await SendAsync(member % 3 + 1, "POST", "/v1/basins", """{"basin": "answers-basin"}""", headers: ("s2-request-token", "tok-1"));
        status.Should().Be(HttpStatusCode.Created, "a retry with the same request token is not a conflict");
        response.Headers.GetValues("s2-provision-result").Should().Equal("noop");
        (status, body, _) = await SendAsync(member, "POST", "/v1/basins", """{"basin": "answers-basin"}""");
        status.Should().Be(HttpStatusCode.Conflict);
        JsonDocument.Parse(body).RootElement.GetProperty("code").GetString().Should().Be("resource_already_exists");

        (status, body, _) = await SendAsync(member, "POST", "/v1/streams", """{"stream": "a/b"}""", "answers-basin");
        status.Should().Be(HttpStatusCode.Created, body);
        (status, body, _) = await SendAsync(member, "POST", "/v1/streams/a%2Fb/records", """{"records": [{"body": "one", "headers": [["k", "v"]]}, {"body": "two"}], "match_seq_num": 0}""", "answers-basin");
        status.Should().Be(HttpStatusCode.OK, body);
        var ack = JsonDocument.Parse(body).RootElement;
        (ack.GetProperty("start").GetProperty("seq_num").GetInt64(), ack.GetProperty("end").GetProperty("seq_num").GetInt64(), ack.GetProperty("tail").GetProperty("seq_num").GetInt64()).Should().Be((0, 2, 2));

        (status, body, _) = await SendAsync(member, "POST", "/v1/streams/a%2Fb/records", """{"records": [{"body": "late"}], "match_seq_num": 0}""", "answers-basin");
        status.Should().Be(HttpStatusCode.PreconditionFailed);
        JsonDocument.Parse(body).RootElement.GetProperty("seq_num_mismatch").GetInt64().Should().Be(2);

        (status, body, _) = await SendAsync(member, "GET", "/v1/streams/a%2Fb/records?seq_num=0", basin: "answers-basin");
        status.Should().Be(HttpStatusCode.OK, body);
        var records = JsonDocument.Parse(body).RootElement.GetProperty("records");
        records.EnumerateArray().Select(r => r.GetProperty("body").GetString()).Should().Equal("one", "two");
        records[0].GetProperty("headers")[0].EnumerateArray().Select(h => h.GetString()).Should().Equal("k", "v");

        (status, body, _) = await SendAsync(member, "GET", "/v1/streams/a%2Fb/records?seq_num=7", basin: "answers-basin");
        status.Should().Be(HttpStatusCode.RequestedRangeNotSatisfiable);
        JsonDocument.Parse(body).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64().Should().Be(2);
        (status, body, _) = await SendAsync(member, "GET", "/v1/streams/a%2Fb/records/tail", basin: "answers-basin");
        JsonDocument.Parse(body).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64().Should().Be(2);

        (status, _, _) = await SendAsync(member, "DELETE", "/v1/streams/a%2Fb", basin: "answers-basin");
        status.Should().Be(HttpStatusCode.Accepted);
        (status, _, _) = await SendAsync(member, "DELETE", "/v1/basins/answers-basin");
        status.Should().Be(HttpStatusCode.Accepted);
        (status, _, _) = await SendAsync(member, "GET", "/v1/basins/answers-basin");
        status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Server_sent_events_follow_the_tail_from_another_member()
    {
        var basin = await NewStreamAsync("events-basin", "live");
        var leader = await Cluster.WaitForLeaderAsync();
        using var client = Cluster.NewClient(TimeSpan.FromMinutes(2));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(await FollowerAsync()), "v1/streams/live/records?seq_num=0&count=3&wait=60"));
        request.Headers.Add("s2-basin", basin);
        request.Headers.Add("Accept", "text/event-stream");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var bodies = new List<string>();
        var lines = new List<string>();
        var appender = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var (status, text, _) = await SendAsync(leader, "POST", "/v1/streams/live/records", $$"""{"records": [{"body": "r{{i}}"}]}""", basin);
                status.Should().Be(HttpStatusCode.OK, text);
            }
        });
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line == "data: [DONE]")
                break;
            if (line.StartsWith("data: {\"records\"", StringComparison.Ordinal))
                bodies.AddRange(JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("body").GetString()!));
        }

        await appender;
        bodies.Should().Equal(["r0", "r1", "r2"], $"the events were:\n{string.Join('\n', lines)}");
        lines.Should().Contain("event: batch").And.Contain("data: [DONE]");
    }

    [Fact]
    public async Task One_cleartext_port_serves_HTTP_1_1_and_HTTP_2_with_prior_knowledge()
    {
        var member = await FollowerAsync();
        using var http2 = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using (var answer = await http2.GetAsync(new Uri(Cluster.Url(member), "v1/basins")))
        {
            answer.Version.Should().Be(HttpVersion.Version20);
            answer.StatusCode.Should().Be(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        }

        using var http11 = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using (var answer = await http11.GetAsync(new Uri(Cluster.Url(member), "ping")))
        {
            answer.Version.Should().Be(HttpVersion.Version11);
            (await answer.Content.ReadAsStringAsync()).Should().Be("pong");
        }

        // A client that sends part of the preface and then an HTTP/1.1 request is HTTP/1.1.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Cluster.Url(member).Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("PRIVATE /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(stream);
        (await reader.ReadLineAsync()).Should().StartWith("HTTP/1.1 ", "a method that starts like the preface is still HTTP/1.1");
    }

    [Theory]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": []}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\", \"headers\": [[\"\", \"explode\"]]}]}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\", \"headers\": [[\"\", \"trim\"]]}]}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"!!\"}]}", "application/json", "base64", 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\"}], \"fencing_token\": \"0123456789012345678901234567890123456\"}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\"}], \"match_seq_num\": -1}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": 7}]}", "application/json", null, 400, "bad_json")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\", \"headers\": [[\"only-a-name\"]]}]}", "application/json", null, 400, "bad_json")]
    [InlineData("POST", "/v1/streams/bad/records", "not json", "application/json", null, 400, "bad_json")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\"}]}", "text/plain", null, 400, "bad_json")]
    [InlineData("POST", "/v1/streams/bad/records", "\u00ff\u0001\u0002", "application/protobuf", null, 400, "bad_proto")]
    [InlineData("POST", "/v1/streams/bad/records", "{\"records\": [{\"body\": \"x\"}]}", "application/json", "hex", 400, "bad_header")]
    [InlineData("GET", "/v1/streams/bad/records?seq_num=0&timestamp=5", null, null, null, 422, "invalid")]
    [InlineData("GET", "/v1/streams/bad/records?count=lots", null, null, null, 400, "bad_query")]
    [InlineData("GET", "/v1/streams/bad/records?clamp=maybe", null, null, null, 400, "bad_query")]
    [InlineData("POST", "/v1/streams", "{\"stream\": \"\"}", "application/json", null, 400, "bad_json")]
    [InlineData("POST", "/v1/streams", "{\"stream\": \"s\", \"config\": {\"timestamping\": {\"mode\": \"sundial\"}}}", "application/json", null, 422, "invalid")]
    [InlineData("POST", "/v1/streams", "{\"stream\": \"s\", \"config\": {\"retention_policy\": {\"age\": 0}}}", "application/json", null, 422, "invalid")]
    [InlineData("GET", "/v1/basins?limit=many", null, null, null, 400, "bad_query")]
    [InlineData("POST", "/v1/basins", "{\"basin\": \"UPPER-case\"}", "application/json", null, 400, "bad_json")]
    [InlineData("POST", "/v1/basins", "{\"basin\": \"short\"}", "application/json", null, 400, "bad_json")]
    [InlineData("GET", "/v1/access-tokens", null, null, null, 501, "not_implemented")]
    public async Task Bad_input_is_a_4xx_with_S2s_code_and_changes_nothing(string method, string path, string? body, string? contentType, string? format, int expected, string code)
    {
        var basin = "badinput-basin";
        await EnsureStreamAsync(basin, "bad");
        var member = await FollowerAsync();
        var headers = format is null ? [] : new[] { ("s2-format", format) };
        var (status, text, response) = await SendAsync(member, method, path, body, basin, contentType ?? "application/json", headers);

        ((int)status).Should().Be(expected, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("code").GetString().Should().Be(code);
        problem.GetProperty("status").GetInt32().Should().Be(expected);
        problem.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        var (_, tail, _) = await SendAsync(member, "GET", "/v1/streams/bad/records/tail", basin: basin);
        JsonDocument.Parse(tail).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64().Should().Be(0, "nothing was appended");
    }

    [Theory]
    [InlineData(null, "bad_header")]
    [InlineData("Not_A_Basin", "bad_header")]
    public async Task Stream_calls_need_a_basin_in_s2_basin(string? basin, string code)
    {
        var (status, text, _) = await SendAsync(await FollowerAsync(), "GET", "/v1/streams", basin: basin);
        status.Should().Be(HttpStatusCode.BadRequest);
        JsonDocument.Parse(text).RootElement.GetProperty("code").GetString().Should().Be(code);
    }

    private async Task EnsureStreamAsync(string basin, string stream)
    {
        var leader = await Cluster.WaitForLeaderAsync();
        var (status, text, _) = await SendAsync(leader, "PUT", $"/v1/basins/{basin}", "");
        status.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], text);
        (status, text, _) = await SendAsync(leader, "PUT", $"/v1/streams/{stream}", "", basin);
        status.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], text);
    }
}
