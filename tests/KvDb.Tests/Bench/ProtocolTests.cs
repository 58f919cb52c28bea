// The requests each target gets and how its answers are judged, without a server.
using System.Net;
using System.Text;
using System.Text.Json;
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class ProtocolTests
{
    private static readonly Uri[] Endpoints = [new("http://127.0.0.1:1/"), new("http://127.0.0.1:2/")];
    private static readonly KeySpace Keys = new(100, 8);

    private static async Task<string> BodyOf(HttpRequestMessage request)
        => request.Content is null ? "" : await Sent(request.Content);

    // What a handler sends: CopyToAsync serializes afresh each time (ReadAs* would buffer and
    // cache the first body, which no handler does for request content).
    private static async Task<string> Sent(HttpContent content)
    {
        using var stream = new MemoryStream();
        await content.CopyToAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Kvdb_puts_the_value_to_the_key_path_on_the_workers_endpoint()
    {
        var protocol = new KvdbProtocol(Endpoints, Keys, BenchConsistency.Linearizable);
        var request = protocol.CreateRequest(OperationKind.Put, 7, 1, new ReusableContent(protocol.RequestMediaType));
        request.Method.Should().Be(HttpMethod.Put);
        request.RequestUri.Should().Be(new Uri("http://127.0.0.1:2/bench-07"));
        (await BodyOf(request)).Should().Be(Encoding.ASCII.GetString(Keys.Value));
        request.Content!.Headers.ContentLength.Should().Be(8);
        request.Version.Should().Be(HttpVersion.Version11);
    }

    [Theory]
    [InlineData(BenchConsistency.Linearizable, "http://127.0.0.1:1/bench-42")]
    [InlineData(BenchConsistency.Local, "http://127.0.0.1:1/bench-42?consistency=local")]
    public void Kvdb_gets_the_key_path_with_the_consistency(BenchConsistency consistency, string uri)
    {
        var request = new KvdbProtocol(Endpoints, Keys, consistency).CreateRequest(OperationKind.Get, 42, 0, new ReusableContent(null));
        request.Method.Should().Be(HttpMethod.Get);
        request.RequestUri.Should().Be(new Uri(uri));
        request.Content.Should().BeNull();
    }

    [Theory]
    [InlineData(OperationKind.Put, HttpStatusCode.NoContent, RequestOutcome.Success)]
    [InlineData(OperationKind.Put, HttpStatusCode.ServiceUnavailable, RequestOutcome.Error)]
    [InlineData(OperationKind.Get, HttpStatusCode.OK, RequestOutcome.Success)]
    [InlineData(OperationKind.Get, HttpStatusCode.NotFound, RequestOutcome.NotFound)]
    [InlineData(OperationKind.Put, HttpStatusCode.NotFound, RequestOutcome.Error)]
    [InlineData(OperationKind.Get, HttpStatusCode.ServiceUnavailable, RequestOutcome.Error)]
    public void Kvdb_answers_are_judged_by_status(OperationKind kind, HttpStatusCode status, RequestOutcome expected)
        => new KvdbProtocol(Endpoints, Keys, BenchConsistency.Linearizable).Classify(kind, status, default).Should().Be(expected);

    [Fact]
    public async Task Etcd_puts_base64_key_and_value_as_json_to_the_v3_gateway()
    {
        var protocol = new EtcdProtocol(Endpoints, Keys, BenchConsistency.Linearizable);
        var request = protocol.CreateRequest(OperationKind.Put, 3, 0, new ReusableContent(protocol.RequestMediaType));
        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri.Should().Be(new Uri("http://127.0.0.1:1/v3/kv/put"));
        request.Content!.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var json = JsonDocument.Parse(await BodyOf(request));
        Encoding.UTF8.GetString(Convert.FromBase64String(json.RootElement.GetProperty("key").GetString()!)).Should().Be("bench-03");
        Convert.FromBase64String(json.RootElement.GetProperty("value").GetString()!).Should().Equal(Keys.Value);
    }

    [Theory]
    [InlineData(BenchConsistency.Linearizable, false)]
    [InlineData(BenchConsistency.Local, true)]
    public async Task Etcd_gets_with_a_range_request_serializable_when_local(BenchConsistency consistency, bool serializable)
    {
        var request = new EtcdProtocol(Endpoints, Keys, consistency).CreateRequest(OperationKind.Get, 99, 1, new ReusableContent("application/json"));
        request.RequestUri.Should().Be(new Uri("http://127.0.0.1:2/v3/kv/range"));
        using var json = JsonDocument.Parse(await BodyOf(request));
        Encoding.UTF8.GetString(Convert.FromBase64String(json.RootElement.GetProperty("key").GetString()!)).Should().Be("bench-99");
        json.RootElement.TryGetProperty("serializable", out var flag).Should().Be(serializable);
        if (serializable)
            flag.GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_lease_op_grants_a_60_s_lease_on_either_target()
    {
        var kvdb = new KvdbProtocol(Endpoints, Keys, BenchConsistency.Linearizable);
        var request = kvdb.CreateRequest(OperationKind.Lease, 7, 1, new ReusableContent(kvdb.RequestMediaType));
        (request.Method, request.RequestUri, await BodyOf(request)).Should().Be((HttpMethod.Post, new Uri("http://127.0.0.1:2/v1/leases"), """{"ttl":"60s"}"""));
        kvdb.Classify(OperationKind.Lease, HttpStatusCode.Created, default).Should().Be(RequestOutcome.Success);
        kvdb.Classify(OperationKind.Lease, HttpStatusCode.TooManyRequests, default).Should().Be(RequestOutcome.Error);

        var etcd = new EtcdProtocol(Endpoints, Keys, BenchConsistency.Linearizable);
        request = etcd.CreateRequest(OperationKind.Lease, 7, 0, new ReusableContent(etcd.RequestMediaType));
        (request.Method, request.RequestUri, await BodyOf(request)).Should().Be((HttpMethod.Post, new Uri("http://127.0.0.1:1/v3/lease/grant"), """{"TTL":60}"""));
        etcd.Classify(OperationKind.Lease, HttpStatusCode.OK, "{\"ID\":\"7\"}"u8).Should().Be(RequestOutcome.Success);
    }

    [Fact]
    public void Etcd_range_answers_without_kvs_are_not_found()
    {
        var protocol = new EtcdProtocol(Endpoints, Keys, BenchConsistency.Linearizable);
        var found = """{"header":{"revision":"2"},"kvs":[{"key":"Zm9v","value":"YmFy"}],"count":"1"}"""u8;
        var missing = """{"header":{"revision":"2"}}"""u8;
        protocol.Classify(OperationKind.Get, HttpStatusCode.OK, found).Should().Be(RequestOutcome.Success);
        protocol.Classify(OperationKind.Get, HttpStatusCode.OK, missing).Should().Be(RequestOutcome.NotFound);
        protocol.Classify(OperationKind.Put, HttpStatusCode.OK, missing).Should().Be(RequestOutcome.Success);
        protocol.Classify(OperationKind.Put, HttpStatusCode.ServiceUnavailable, missing).Should().Be(RequestOutcome.Error);
    }

    [Fact]
    public async Task A_reusable_body_sends_whatever_was_set_last_with_a_matching_length()
    {
        var content = new ReusableContent("application/json");
        content.Set("{\"a\":1}"u8.ToArray());
        (await Sent(content)).Should().Be("{\"a\":1}");
        content.Set("{}"u8.ToArray());
        content.Headers.ContentLength.Should().Be(2);
        content.Dispose();
        (await Sent(content)).Should().Be("{}", "disposing a request must not break the worker's next one");
    }

    [Fact]
    public void Per_key_values_are_built_once_and_reused()
    {
        var builds = 0;
        var cache = new KeyedCache<string>(10, i => { builds++; return $"key {i}"; });
        cache.Get(3).Should().Be("key 3");
        cache.Get(3).Should().BeSameAs(cache.Get(3));
        builds.Should().Be(1);
        new KeyedCache<string>(KeyedCache<string>.MaxCachedEntries + 1, i => "x").IsCaching.Should().BeFalse();
    }
}
