// Issue 26, finding 12: idempotency records belong to the user who made them. Another user's
// write with the same Idempotency-Key is a new write (not a 422, not a replay of someone
// else's answer), while a user's own retry, through any member, still applies once.
using System.Net;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class IdempotencyScopeTests(AttackerClusterFixture fixture) : IClassFixture<AttackerClusterFixture>
{
    private readonly AttackerClient http = new(fixture.Cluster);

    [Fact]
    public async Task A_key_mal_used_first_does_not_block_roots_write()
    {
        var shared = ("Idempotency-Key", "occupied-by-mal");
        await http.ExpectAsync(HttpStatusCode.NoContent, 2, AttackerClient.Mal, "PUT", "/v1/kv/pub/first", "mal", shared);

        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", "/v1/kv/secret/second", "root", shared);
        (await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", "/v1/kv/secret/second")).Should().Be("root");

        // The same for a transaction and a delete with that key.
        await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "POST", "/v1/txn", """{"then": [{"put": {"key": "secret/third", "value": "t"}}]}""", ("Idempotency-Key", "txn-by-mal"));
        await http.ExpectAsync(HttpStatusCode.OK, 3, AttackerClient.Mal, "POST", "/v1/txn", """{"then": [{"put": {"key": "pub/third", "value": "t"}}]}""", ("Idempotency-Key", "txn-by-mal"));
        (await http.ExpectAsync(HttpStatusCode.OK, 3, AttackerClient.Mal, "GET", "/v1/kv/pub/third")).Should().Be("t");
    }

    [Fact]
    public async Task A_users_retry_through_another_member_still_applies_once()
    {
        var key = ("Idempotency-Key", "mal-retry");
        using var first = await http.SendAsync(2, AttackerClient.Mal, "PUT", "/v1/kv/pub/once", "1", key);
        first.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var revision = first.Headers.GetValues("X-Kvdb-Revision").Single();

        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", "/v1/kv/pub/once", "2");
        using var retry = await http.SendAsync(3, AttackerClient.Mal, "PUT", "/v1/kv/pub/once", "1", key);
        retry.StatusCode.Should().Be(HttpStatusCode.NoContent);
        retry.Headers.GetValues("Idempotent-Replayed").Single().Should().Be("true");
        retry.Headers.GetValues("X-Kvdb-Revision").Single().Should().Be(revision);
        (await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", "/v1/kv/pub/once")).Should().Be("2", "the retry was not applied again");

        // A different write with the user's own key is still refused.
        await http.ExpectAsync(HttpStatusCode.UnprocessableEntity, 2, AttackerClient.Mal, "PUT", "/v1/kv/pub/other", "3", key);
    }

    [Fact]
    public async Task Two_users_granting_with_the_same_key_get_two_leases_each_their_own()
    {
        var key = ("Idempotency-Key", "lease-key");
        using var mals = await http.SendAsync(2, AttackerClient.Mal, "POST", "/v1/leases", """{"ttl": "60s"}""", key);
        mals.StatusCode.Should().Be(HttpStatusCode.Created, await mals.Content.ReadAsStringAsync());
        using var roots = await http.SendAsync(1, AttackerClient.Root, "POST", "/v1/leases", """{"ttl": "60s"}""", key);
        roots.StatusCode.Should().Be(HttpStatusCode.Created, await roots.Content.ReadAsStringAsync());
        roots.Headers.Contains("Idempotent-Replayed").Should().BeFalse("root's grant is not a retry of mal's");

        var malLease = (await AttackerClient.BodyOf(mals)).GetProperty("id").GetInt64();
        var rootLease = (await AttackerClient.BodyOf(roots)).GetProperty("id").GetInt64();
        rootLease.Should().NotBe(malLease);

        // Mal's retry names mal's lease again.
        using var retry = await http.SendAsync(3, AttackerClient.Mal, "POST", "/v1/leases", """{"ttl": "60s"}""", key);
        (await AttackerClient.BodyOf(retry)).GetProperty("id").GetInt64().Should().Be(malLease);
    }
}
