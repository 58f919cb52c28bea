// Issue 26, findings 1 and 7, as the auditor ran them: mal (readwrite on pub/, _locks/m/,
// _elections/m/) must not end, keep alive, use or see root's lease, through the lock and
// election queues or through /v1/leases; and the keyspace list shows mal only what mal may read.
// The attacks run through member 2 while root works through member 1.
using System.Globalization;
using System.Net;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LeaseOwnershipAttackTests(AttackerClusterFixture fixture) : IClassFixture<AttackerClusterFixture>
{
    private readonly AttackerClient http = new(fixture.Cluster);

    private static string Hex(long lease) => lease.ToString("x16", CultureInfo.InvariantCulture);

    // Root's lease with root's secret attached, as in the issue.
    private async Task<long> RootsLeasedSecretAsync(string key)
    {
        var lease = await http.GrantAsync(1, AttackerClient.Root);
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", $"/v1/kv/{key}?lease={lease}", "top secret");
        return lease;
    }

    // The tests share mal's only lock and election: each leaves their queues as it found them
    // (empty), whether or not a forged key survived the attack.
    private async Task ClearQueuesAsync()
    {
        foreach (var prefix in new[] { "_locks/m/", "_elections/m/" })
        {
            var page = await http.JsonAsync(1, AttackerClient.Mal, "GET", $"/v1/kv?prefix={prefix}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                using (await http.SendAsync(1, AttackerClient.Mal, "DELETE", $"/v1/kv/{item.GetProperty("key").GetString()}"))
                {
                }
            }
        }
    }

    private async Task ExpectRootsLeaseAliveAsync(long lease, string key)
    {
        await ClearQueuesAsync();
        await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "GET", $"/v1/leases/{lease}");
        var value = await http.ExpectAsync(HttpStatusCode.OK, 3, AttackerClient.Root, "GET", $"/v1/kv/{key}");
        value.Should().Be("top secret");
    }

    [Fact]
    public async Task Releasing_a_forged_lock_key_does_not_revoke_roots_lease()
    {
        var lease = await RootsLeasedSecretAsync("secret/leased-lock");

        await http.ExpectAsync(HttpStatusCode.NoContent, 2, AttackerClient.Mal, "PUT", $"/v1/kv/_locks/m/{Hex(lease)}g", "forged");
        using (await http.SendAsync(2, AttackerClient.Mal, "DELETE", $"/v1/locks/m/{Hex(lease)}g"))
        {
        }

        await ExpectRootsLeaseAliveAsync(lease, "secret/leased-lock");
    }

    [Fact]
    public async Task Resigning_with_a_forged_candidate_key_does_not_revoke_roots_lease()
    {
        var lease = await RootsLeasedSecretAsync("secret/leased-election");

        await http.ExpectAsync(HttpStatusCode.NoContent, 2, AttackerClient.Mal, "PUT", $"/v1/kv/_elections/m/{Hex(lease)}g", "forged");
        using (await http.SendAsync(2, AttackerClient.Mal, "POST", "/v1/elections/m/resign", $$"""{"key": "_elections/m/{{Hex(lease)}}g"}"""))
        {
        }

        await ExpectRootsLeaseAliveAsync(lease, "secret/leased-election");
    }

    [Fact]
    public async Task A_forged_queue_key_attached_to_roots_lease_is_refused_and_its_release_revokes_nothing()
    {
        var lease = await RootsLeasedSecretAsync("secret/leased-attached");

        // The stronger forgery: the key's lease is the one its name says. Attaching is refused.
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "PUT", $"/v1/kv/_locks/m/{Hex(lease)}g?lease={lease}", "forged");
        var txn = await http.SendAsync(2, AttackerClient.Mal, "POST", "/v1/txn", $$$"""{"then": [{"put": {"key": "_locks/m/{{{Hex(lease)}}}g", "value": "forged", "lease": {{{lease}}}}}]}""");
        txn.StatusCode.Should().Be(HttpStatusCode.NotFound, await txn.Content.ReadAsStringAsync());
        using (await http.SendAsync(2, AttackerClient.Mal, "DELETE", $"/v1/locks/m/{Hex(lease)}g"))
        {
        }

        await ExpectRootsLeaseAliveAsync(lease, "secret/leased-attached");
    }

    [Fact]
    public async Task A_lock_or_election_released_by_its_holder_still_revokes_the_lease_the_queue_granted()
    {
        await ClearQueuesAsync();
        var held = await http.JsonAsync(2, AttackerClient.Mal, "POST", "/v1/locks/m?ttl=60s");
        var lease = held.GetProperty("lease").GetInt64();
        var key = held.GetProperty("key").GetString()!;
        await http.ExpectAsync(HttpStatusCode.OK, 2, AttackerClient.Mal, "GET", $"/v1/leases/{lease}");

        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Mal, "DELETE", $"/v1/locks/m/{key[(key.LastIndexOf('/') + 1)..]}");
        await http.ExpectAsync(HttpStatusCode.NotFound, 1, AttackerClient.Root, "GET", $"/v1/leases/{lease}");

        var elected = await http.JsonAsync(2, AttackerClient.Mal, "POST", "/v1/elections/m/campaign", """{"value": "mal", "ttl": "60s"}""");
        var electionLease = elected.GetProperty("lease").GetInt64();
        await http.ExpectAsync(HttpStatusCode.NoContent, 3, AttackerClient.Mal, "POST", "/v1/elections/m/resign", $$"""{"key": "{{elected.GetProperty("key").GetString()}}"}""");
        await http.ExpectAsync(HttpStatusCode.NotFound, 1, AttackerClient.Root, "GET", $"/v1/leases/{electionLease}");
    }

    [Fact]
    public async Task Another_users_lease_cannot_be_kept_alive_used_or_revoked_and_is_not_listed_or_described()
    {
        await ClearQueuesAsync();
        var lease = await RootsLeasedSecretAsync("secret/leased-7");
        var own = await http.GrantAsync(2, AttackerClient.Mal);

        // Listing: mal sees its own lease only; root sees both.
        var listed = await http.JsonAsync(2, AttackerClient.Mal, "GET", "/v1/leases");
        var ids = listed.GetProperty("leases").EnumerateArray().Select(static l => l.GetProperty("id").GetInt64()).ToList();
        ids.Should().Contain(own).And.NotContain(lease);
        listed.GetProperty("count").GetInt32().Should().Be(ids.Count);
        var all = await http.JsonAsync(1, AttackerClient.Root, "GET", "/v1/leases");
        all.GetProperty("leases").EnumerateArray().Select(static l => l.GetProperty("id").GetInt64()).Should().Contain([own, lease]);

        // Root's lease is, to mal, a lease that does not exist.
        var described = await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "GET", $"/v1/leases/{lease}");
        described.Should().NotContain("secret/leased-7");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "POST", $"/v1/leases/{lease}/keepalive");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "PUT", $"/v1/kv/pub/hijack?lease={lease}", "x");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "POST", $"/v1/locks/m?lease={lease}&timeout=1s");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "POST", "/v1/elections/m/campaign?timeout=1s", $$"""{"value": "mal", "lease": {{lease}}}""");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "DELETE", $"/v1/leases/{lease}");
        await http.ExpectAsync(HttpStatusCode.NotFound, 2, AttackerClient.Mal, "GET", "/v1/kv/pub/hijack");
        await ClearQueuesAsync();

        // Mal's own lease works for mal; root may use and revoke any lease.
        await http.ExpectAsync(HttpStatusCode.OK, 2, AttackerClient.Mal, "POST", $"/v1/leases/{own}/keepalive");
        await http.ExpectAsync(HttpStatusCode.NoContent, 2, AttackerClient.Mal, "PUT", $"/v1/kv/pub/mine?lease={own}", "x");
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", $"/v1/kv/secret/on-mals-lease?lease={own}", "root's");
        var mine = await http.JsonAsync(3, AttackerClient.Mal, "GET", $"/v1/leases/{own}");
        mine.GetProperty("keys").EnumerateArray().Select(static k => k.GetString()).Should().Equal("pub/mine");
        var rootView = await http.JsonAsync(3, AttackerClient.Root, "GET", $"/v1/leases/{own}");
        rootView.GetProperty("keys").EnumerateArray().Select(static k => k.GetString()).Should().BeEquivalentTo(["pub/mine", "secret/on-mals-lease"]);
        await http.ExpectAsync(HttpStatusCode.OK, 1, AttackerClient.Root, "POST", $"/v1/leases/{lease}/keepalive");
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "DELETE", $"/v1/leases/{lease}");
        await http.ExpectAsync(HttpStatusCode.NotFound, 1, AttackerClient.Root, "GET", "/v1/kv/secret/leased-7");
    }

    [Fact]
    public async Task Mal_cannot_revoke_a_lease_root_attached_a_key_to_but_root_can()
    {
        // The owner's revoke may not delete keys the owner may not write: root's key on mal's lease stays put.
        var own = await http.GrantAsync(2, AttackerClient.Mal);
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "PUT", $"/v1/kv/secret/pinned?lease={own}", "root's");
        await http.ExpectAsync(HttpStatusCode.Forbidden, 2, AttackerClient.Mal, "DELETE", $"/v1/leases/{own}");
        await http.ExpectAsync(HttpStatusCode.NoContent, 1, AttackerClient.Root, "DELETE", $"/v1/leases/{own}");
    }

    [Fact]
    public async Task The_keyspace_list_shows_only_keyspaces_the_caller_may_read()
    {
        var listed = await http.JsonAsync(2, AttackerClient.Mal, "GET", "/v1/keyspaces");
        listed.GetProperty("keyspaces").EnumerateArray().Select(static k => k.GetProperty("name").GetString()).Should().Equal("pub");
        await http.ExpectAsync(HttpStatusCode.Forbidden, 2, AttackerClient.Mal, "GET", "/v1/keyspaces/secretks");
        await http.ExpectAsync(HttpStatusCode.OK, 2, AttackerClient.Mal, "GET", "/v1/keyspaces/pub");

        var writeOnly = await http.JsonAsync(2, AttackerClient.WUser, "GET", "/v1/keyspaces");
        writeOnly.GetProperty("keyspaces").GetArrayLength().Should().Be(0);

        var everything = await http.JsonAsync(1, AttackerClient.Root, "GET", "/v1/keyspaces");
        everything.GetProperty("keyspaces").EnumerateArray().Select(static k => k.GetProperty("name").GetString()).Should().Contain(["pub", "drop", "secretks"]);
    }

    [Fact]
    public async Task Root_sees_who_owns_each_lease()
    {
        var own = await http.GrantAsync(2, AttackerClient.Mal);
        var listed = await http.JsonAsync(1, AttackerClient.Root, "GET", "/v1/leases");
        listed.GetProperty("leases").EnumerateArray().Single(l => l.GetProperty("id").GetInt64() == own)
            .GetProperty("owner").GetString().Should().Be("mal");
        var described = await http.JsonAsync(3, AttackerClient.Root, "GET", $"/v1/leases/{own}");
        described.GetProperty("owner").GetString().Should().Be("mal");
    }
}
