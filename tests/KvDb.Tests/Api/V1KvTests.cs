// The /v1 API against real members: revisions as ETags, conditional writes, ranges with
// continuation, exactly-once retries through different members.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Api;

/// <summary>One three-member cluster shared by the tests of <see cref="V1KvTests"/>.</summary>
public sealed class ThreeMemberFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class V1KvTests(ThreeMemberFixture fixture) : IClassFixture<ThreeMemberFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private HttpClient Client => Cluster.Client;

    private Uri Kv(int member, string key, string? query = null)
        => new(Cluster.Url(member), "v1/kv/" + Uri.EscapeDataString(key) + (query is null ? "" : "?" + query));

    private Uri Range(int member, string query) => new(Cluster.Url(member), "v1/kv?" + query);

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, string? body = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, uri);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8);
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static long Revision(HttpResponseMessage response)
        => long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_key_carries_its_revision_as_a_strong_etag_on_every_member()
    {
        using var put = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "rev"), "one"));
        put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var revision = Revision(put);
        revision.Should().BePositive();
        put.Headers.ETag.Should().Be(new EntityTagHeaderValue($"\"{revision}\""));

        foreach (var member in new[] { 1, 2, 3 })
        {
            using var get = await Client.GetAsync(Kv(member, "rev"));
            (await get.Content.ReadAsStringAsync()).Should().Be("one");
            get.Headers.ETag!.Tag.Should().Be($"\"{revision}\"");
            Revision(get).Should().Be(revision);
        }

        using var second = await Client.SendAsync(Request(HttpMethod.Put, Kv(2, "rev"), "two"));
        Revision(second).Should().BeGreaterThan(revision, "a revision is the index of the key's last write");

        using var notModified = await Client.SendAsync(Request(HttpMethod.Get, Kv(3, "rev"), null, ("If-None-Match", $"\"{Revision(second)}\"")));
        notModified.StatusCode.Should().Be(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task A_read_with_if_match_answers_only_while_the_key_is_at_that_revision()
    {
        using var put = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "read-if-match"), "one"));
        var revision = Revision(put);

        foreach (var tag in new[] { $"\"{revision}\"", "*", $"\"{revision + 5}\", \"{revision}\"" })
        {
            using var match = await Client.SendAsync(Request(HttpMethod.Get, Kv(2, "read-if-match"), null, ("If-Match", tag)));
            match.StatusCode.Should().Be(HttpStatusCode.OK, $"If-Match: {tag} names the current revision");
            (await match.Content.ReadAsStringAsync()).Should().Be("one");
        }

        using var stale = await Client.SendAsync(Request(HttpMethod.Get, Kv(3, "read-if-match"), null, ("If-Match", $"\"{revision + 5}\"")));
        stale.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        stale.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        Revision(stale).Should().Be(revision, "a 412 carries the current revision");
    }

    [Fact]
    public async Task If_match_and_if_none_match_make_writes_conditional_and_412_reports_the_current_revision()
    {
        using (var create = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "cas"), "v1", ("If-None-Match", "*"))))
            create.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var again = await Client.SendAsync(Request(HttpMethod.Put, Kv(2, "cas"), "v1-again", ("If-None-Match", "*")));
        again.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        var current = Revision(again);

        using var stale = await Client.SendAsync(Request(HttpMethod.Put, Kv(3, "cas"), "v2", ("If-Match", $"\"{current - 1}\"")));
        stale.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await stale.Content.ReadAsStringAsync()).Should().Contain($"\"currentRevision\":{current}");

        using var swap = await Client.SendAsync(Request(HttpMethod.Put, Kv(3, "cas"), "v2", ("If-Match", $"\"{current}\"")));
        swap.StatusCode.Should().Be(HttpStatusCode.NoContent);

        using var staleDelete = await Client.SendAsync(Request(HttpMethod.Delete, Kv(1, "cas"), null, ("If-Match", $"\"{current}\"")));
        staleDelete.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await Cluster.Client.GetStringAsync(Kv(1, "cas"))).Should().Be("v2");

        using var delete = await Client.SendAsync(Request(HttpMethod.Delete, Kv(1, "cas"), null, ("If-Match", $"\"{Revision(swap)}\"")));
        delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Client.GetAsync(Kv(2, "cas"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Client.DeleteAsync(Kv(2, "cas"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_compare_and_swap_counter_incremented_by_8_clients_ends_at_the_number_of_successes()
    {
        await Cluster.PutWithRetryAsync(1, "counter-seed", "x");
        using (var init = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "counter"), "0")))
            init.StatusCode.Should().Be(HttpStatusCode.NoContent);

        var successes = 0;
        var conflicts = 0;
        var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                while (true)
                {
                    var member = 1 + (client + i) % 3;
                    using var get = await Client.GetAsync(Kv(member, "counter"));
                    var value = int.Parse(await get.Content.ReadAsStringAsync(), CultureInfo.InvariantCulture);
                    using var put = await Client.SendAsync(Request(HttpMethod.Put, Kv(member, "counter"), (value + 1).ToString(CultureInfo.InvariantCulture), ("If-Match", get.Headers.ETag!.Tag)));
                    if (put.StatusCode is HttpStatusCode.NoContent)
                    {
                        Interlocked.Increment(ref successes);
                        break;
                    }

                    put.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
                    Interlocked.Increment(ref conflicts);
                }
            }
        }));
        await Task.WhenAll(clients);

        successes.Should().Be(8 * 15);
        int.Parse(await Client.GetStringAsync(Kv(2, "counter")), CultureInfo.InvariantCulture).Should().Be(successes, $"({conflicts} conflicts were retried)");
    }

    [Fact]
    public async Task An_idempotency_key_applies_a_write_once_whichever_member_the_retry_reaches()
    {
        using (var first = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "idem"), "first", ("Idempotency-Key", "order-42"))))
        {
            first.StatusCode.Should().Be(HttpStatusCode.NoContent);
            first.Headers.Contains("Idempotent-Replayed").Should().BeFalse();
        }

        using (var other = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "idem"), "overwritten")))
            other.StatusCode.Should().Be(HttpStatusCode.NoContent);

        using var retry = await Client.SendAsync(Request(HttpMethod.Put, Kv(3, "idem"), "first", ("Idempotency-Key", "order-42")));
        retry.StatusCode.Should().Be(HttpStatusCode.NoContent);
        retry.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        (await Client.GetStringAsync(Kv(2, "idem"))).Should().Be("overwritten", "the retry was not applied again");

        using var misuse = await Client.SendAsync(Request(HttpMethod.Put, Kv(2, "idem"), "something else", ("Idempotency-Key", "order-42")));
        misuse.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Ranges_list_keys_in_byte_order_and_page_with_a_continuation()
    {
        var keys = Enumerable.Range(0, 25).Select(i => $"range/{i:D2}").ToList();
        foreach (var key in keys)
            await Cluster.PutWithRetryAsync(1, key, "v-" + key);
        await Cluster.PutWithRetryAsync(1, "range0", "outside the prefix");
        using (var binary = await Client.PutAsync(Kv(1, "range/bin"), new ByteArrayContent([0xFF, 0x00])))
            binary.StatusCode.Should().Be(HttpStatusCode.NoContent);

        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var json = await Client.GetStringAsync(Range(2, "prefix=range/&limit=10" + (continuation is null ? "" : "&continuation=" + continuation)));
            using var page = JsonDocument.Parse(json);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                var key = item.GetProperty("key").GetString()!;
                seen.Add(key);
                item.GetProperty("revision").GetInt64().Should().BePositive();
                if (key == "range/bin")
                    item.GetProperty("valueBase64").GetString().Should().Be("/wA=");
                else
                    item.GetProperty("value").GetString().Should().Be("v-" + key);
            }

            continuation = page.RootElement.GetProperty("continuation").GetString();
            pages++;
        }
        while (continuation is not null);

        seen.Should().Equal([.. keys, "range/bin"]);
        pages.Should().Be(3);

        using var startEnd = JsonDocument.Parse(await Client.GetStringAsync(Range(3, "start=range/05&end=range/08&consistency=local")));
        startEnd.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString())
            .Should().Equal("range/05", "range/06", "range/07");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-5")]
    [InlineData("limit=1001")]
    [InlineData("limit=ten")]
    [InlineData("start=b&end=a")]
    [InlineData("prefix=a&start=b")]
    [InlineData("continuation=!!notbase64!!")]
    [InlineData("prefix=x&continuation=YQ")]
    [InlineData("consistency=sometimes")]
    public async Task Bad_ranges_are_400_problem_details(string query)
    {
        using var response = await Client.GetAsync(Range(1, query));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Theory]
    [InlineData("If-Match", "not-an-etag")]
    [InlineData("If-None-Match", "\"5\"")]
    [InlineData("Idempotency-Key", "has space")]
    public async Task Bad_write_headers_are_400_and_write_nothing(string header, string value)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Put, Kv(1, "bad-header"), "x", (header, value)));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await Client.GetAsync(Kv(1, "bad-header"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
