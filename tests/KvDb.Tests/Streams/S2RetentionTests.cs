// S2's retention_policy and delete_on_empty on real members: the leader trims records older than
// a stream's age and deletes a stream that is empty and idle for its min_age_secs, through the
// log, so every member agrees; a stream with infinite retention keeps its records. The look runs
// every --s2-retention-interval, set small here; waits poll with a deadline.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Streams;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2RetentionTests
{
    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(KvdbCluster cluster, int member, string method, string path, string? body = null, string? basin = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(member), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (basin is not null)
            request.Headers.Add("s2-basin", basin);
        using var response = await cluster.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task ExpectAsync(KvdbCluster cluster, HttpStatusCode expected, string method, string path, string? body = null, string? basin = null)
    {
        var (status, text) = await SendAsync(cluster, 1, method, path, body, basin);
        status.Should().Be(expected, $"{method} {path} answered {text}");
    }

    [Fact]
    public async Task The_leader_trims_records_past_their_age_and_deletes_streams_left_empty()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--s2-retention-interval", "200ms");
        await cluster.WaitForLeaderAsync();
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/basins", """{"basin": "aging-basin"}""");
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/streams", """{"stream": "short", "config": {"retention_policy": {"age": 1}}}""", "aging-basin");
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/streams", """{"stream": "forever", "config": {"retention_policy": {"infinite": {}}}}""", "aging-basin");
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/streams", """{"stream": "vanishing", "config": {"retention_policy": {"age": 1}, "delete_on_empty": {"min_age_secs": 1}}}""", "aging-basin");
        foreach (var stream in new[] { "short", "forever", "vanishing" })
            await ExpectAsync(cluster, HttpStatusCode.OK, "POST", $"/v1/streams/{stream}/records", """{"records": [{"body": "a"}, {"body": "b"}, {"body": "c"}]}""", "aging-basin");

        // Every member reads the short stream trimmed up to its tail: a read from seq_num 0 starts at the tail.
        foreach (var member in new[] { 1, 2, 3 })
        {
            var last = "";
            await Eventually.WaitUntilAsync(
                async () =>
                {
                    var (status, text) = await SendAsync(cluster, member, "GET", "/v1/streams/short/records?seq_num=0", basin: "aging-basin");
                    last = $"{status}: {text}";
                    return status == HttpStatusCode.RequestedRangeNotSatisfiable && JsonDocument.Parse(text).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64() == 3;
                },
                $"member {member} to have trimmed stream 'short' by its 1 s retention", TimeSpan.FromSeconds(30), () => last);
        }

        var gone = "";
        await Eventually.WaitUntilAsync(
            async () =>
            {
                var (status, text) = await SendAsync(cluster, 2, "GET", "/v1/streams/vanishing", basin: "aging-basin");
                gone = $"{status}: {text}";
                return status == HttpStatusCode.NotFound;
            },
            "stream 'vanishing' (trimmed empty, delete_on_empty after 1 s) to be deleted", TimeSpan.FromSeconds(30), () => gone);

        var (kept, body) = await SendAsync(cluster, 3, "GET", "/v1/streams/forever/records?seq_num=0", basin: "aging-basin");
        kept.Should().Be(HttpStatusCode.OK, body);
        JsonDocument.Parse(body).RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("body").GetString()).Should().Equal(["a", "b", "c"], "infinite retention keeps every record");
        (await SendAsync(cluster, 3, "GET", "/v1/streams/short", basin: "aging-basin")).Status.Should().Be(HttpStatusCode.OK, "a stream without delete_on_empty stays when trimmed empty");

        long trimmed = 0;
        foreach (var member in new[] { 1, 2, 3 })
        {
            var metrics = await cluster.Client.GetStringAsync(new Uri(cluster.Url(member), "metrics"));
            trimmed += metrics.Split('\n').Where(l => l.StartsWith("kvdb_s2_records_trimmed_by_retention", StringComparison.Ordinal))
                .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        trimmed.Should().Be(6, "the leader counted the three records of each aged stream");
    }
}
