// Tracing across a three-member cluster: members export OTLP/HTTP to a receiver the test runs
// on loopback, with --trace-sampling 0 so only traces a caller samples are kept (parent-based);
// the test listens to KvDb.Client itself, so its KvClient's span is the root. One PUT sent to a
// follower must come back as one connected trace over two members: the client span, the
// follower's request, its proposal and batch, the forward to the leader, the leader's request,
// proposal, batch, replication and apply; with the key's prefix and never the key or value.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace KvDb.Client.Tests.Tracing;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class TracingClusterTests : IAsyncLifetime
{
    private OtlpReceiver receiver = null!;
    private KvdbCluster cluster = null!;

    public async Task InitializeAsync()
    {
        receiver = await OtlpReceiver.StartAsync();
        cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--otlp-endpoint", receiver.Url.ToString(), "--trace-sampling", "0", "--trace-key-depth", "1");
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        await receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_put_sent_to_a_follower_is_one_connected_trace_from_the_client_span_to_the_leaders_apply()
    {
        var leader = await cluster.WaitForLeaderAsync();
        var follower = leader % 3 + 1;
        await cluster.WaitUntilMemberServesAsync(follower);

        var clientSpans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "KvDb.Client",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = clientSpans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using (var client = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(follower)] }))
            await client.PutAsync("traced/secret-name", "secret-value");

        var put = clientSpans.Should().ContainSingle(span => span.DisplayName == "kvdb put").Subject;
        var traceId = put.TraceId.ToHexString();
        var clientSpanId = put.SpanId.ToHexString();
        string Member(int id) => cluster.PeerUrl(id);

        // The exporters send in batches, every few seconds; each member's request span ends last.
        List<OtlpSpan> Trace() => [.. receiver.Spans.Where(span => span.TraceId == traceId)];
        bool Exported(string name, int member) => Trace().Any(span => span.Name == name && span.Instance == Member(member));
        await Eventually.WaitUntilAsync(
            () => Exported("kvdb.apply", leader) && Exported("POST /internal/v1/propose", leader) && Exported("PUT /v1/kv/{**key}", follower),
            "the leader's apply and request spans and the follower's request span, exported",
            TimeSpan.FromSeconds(30),
            () => string.Join("\n", Trace()));
        var spans = Trace();
        var byId = spans.ToDictionary(span => span.SpanId);

        // From the leader's apply up to the client span, parent by parent.
        var apply = spans.Single(span => span.Name == "kvdb.apply" && span.Instance == Member(leader));
        var chain = new List<OtlpSpan>();
        for (var span = apply; ; span = byId[span.ParentSpanId])
        {
            chain.Add(span);
            if (!byId.ContainsKey(span.ParentSpanId))
            {
                span.ParentSpanId.Should().Be(clientSpanId, $"the trace is connected up to the client's span; it ends at {span}");
                break;
            }
        }

        var names = chain.Select(span => $"{span.Name}@{(span.Instance == Member(leader) ? "leader" : span.Instance == Member(follower) ? "follower" : span.Instance)}").ToList();
        names.Where(name => !name.StartsWith("POST@follower", StringComparison.Ordinal)).Should().Equal(
            ["kvdb.apply@leader", "kvdb.replicate@leader", "kvdb.batch@leader", "kvdb.propose@leader", "POST /internal/v1/propose@leader",
             "kvdb.forward@follower", "kvdb.batch@follower", "kvdb.propose@follower", "PUT /v1/kv/{**key}@follower"],
            "the HTTP client span of the forward (POST) may sit between the forward and the leader's request");

        var request = chain[^1];
        request.Attributes.Should().Contain("kvdb.key.prefix", "traced/").And.Contain("kvdb.outcome", "ok").And.Contain("http.route", "/v1/kv/{**key}");
        spans.Select(span => span.Instance).Distinct().Should().BeEquivalentTo([Member(leader), Member(follower)]);
        spans.Where(span => !byId.ContainsKey(span.ParentSpanId)).Should().OnlyContain(span => span.ParentSpanId == clientSpanId, "every span of the trace hangs off the client's");
        spans.SelectMany(span => span.Attributes.Values.Append(span.Name)).Should().NotContain(text => text.Contains("secret", StringComparison.Ordinal), "spans carry neither the key past its prefix nor the value");
    }
}
