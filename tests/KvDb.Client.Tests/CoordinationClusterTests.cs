// KvClient's transactions, leases, locks and elections against a real three-member cluster.
// No test asserts on timing: every wait polls with a deadline (Eventually), and a lease is shown
// to be kept alive by watching the leader's remaining time go back up.
using System.Text.Json;
using System.Threading.Channels;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class CoordinationClusterTests(ThreeMembers members) : IClassFixture<ThreeMembers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private KvClient Client => members.Client;

    [Fact]
    public async Task A_transaction_moves_a_balance_only_while_both_accounts_are_as_read()
    {
        await Client.PutAsync("acct/a", "100");
        await Client.PutAsync("acct/b", "0");
        var a = (await Client.GetAsync("acct/a"))!;
        var b = (await Client.GetAsync("acct/b"))!;

        var moved = await Client.Transaction()
            .If(Compare.Revision("acct/a") == a.Revision, Compare.Revision("acct/b") == b.Revision)
            .If(Compare.Exists("acct/b"), Compare.Absent("acct/none"), Compare.Value("acct/a") == "100", Compare.Version("acct/a") > 0)
            .Then(Op.Put("acct/a", "70"), Op.Put("acct/b", "30"), Op.Get("acct/a"), Op.RangePrefix("acct/", 10))
            .Else(Op.Get("acct/a"), Op.Get("acct/b"))
            .CommitAsync();

        moved.Succeeded.Should().BeTrue();
        moved.Results.Should().HaveCount(4);
        moved.Results[0].Should().BeOfType<TxnPutResult>().Which.Revision.Should().Be(moved.Revision);
        moved.Results[1].Should().BeOfType<TxnPutResult>().Which.Revision.Should().Be(moved.Revision, "every write of a transaction shares its revision");
        var readBack = moved.EntryAt(2)!;
        readBack.ValueAsString().Should().Be("70", "operations see the writes before them");
        readBack.CreateRevision.Should().Be(a.Revision);
        readBack.Version.Should().BeGreaterThanOrEqualTo(2);
        var range = moved.Results[3].Should().BeOfType<TxnRangeResult>().Which;
        range.Items.Select(e => (e.Key, e.ValueAsString())).Should().Equal(("acct/a", "70"), ("acct/b", "30"));
        range.More.Should().BeFalse();
        (await Client.GetAsync("acct/b"))!.Revision.Should().Be(moved.Revision);

        // The same transfer again: the revisions it read are stale, so only Else runs.
        var stale = await Client.Transaction()
            .If(Compare.Revision("acct/a") == a.Revision)
            .Then(Op.Put("acct/a", "40"), Op.Put("acct/b", "60"))
            .Else(Op.Get("acct/a"), Op.Get("acct/b"), Op.Get("acct/none"))
            .CommitAsync();
        stale.Succeeded.Should().BeFalse();
        stale.EntryAt(0)!.ValueAsString().Should().Be("70");
        stale.EntryAt(1)!.ValueAsString().Should().Be("30");
        stale.EntryAt(2).Should().BeNull();
        (await Client.GetAsync("acct/a"))!.ValueAsString().Should().Be("70");
    }

    [Fact]
    public async Task A_transaction_retried_with_its_idempotency_key_applies_once_and_deletes_by_prefix()
    {
        await Client.PutAsync("tmp/1", "x");
        await Client.PutAsync("tmp/2", "y");
        var key = Guid.NewGuid().ToString("N");
        var transaction = Client.Transaction().Then(Op.DeletePrefix("tmp/"), Op.Put("tmp-log", "cleared")).WithIdempotencyKey(key);
        var first = await transaction.CommitAsync();
        var again = await transaction.CommitAsync();

        first.Succeeded.Should().BeTrue();
        first.Results[0].Should().BeOfType<TxnDeleteResult>().Which.Deleted.Should().Be(2);
        again.Revision.Should().Be(first.Revision, "the retry answers the first outcome");
        (await Client.GetAsync("tmp-log"))!.Revision.Should().Be(first.Revision, "and is not applied again");
        transaction.ToJson().Should().Contain("\"prefix\":\"tmp/\"");

        var missing = await FluentActions.Awaiting(() => Client.Transaction().Then(Op.Put("tmp/leased", "v", lease: 4_242_424_242)).CommitAsync().AsTask())
            .Should().ThrowAsync<KvLeaseNotFoundException>();
        missing.Which.LeaseId.Should().Be(4_242_424_242);
        (await Client.GetAsync("tmp/leased")).Should().BeNull("nothing of a failed transaction is applied");
    }

    [Fact]
    public async Task A_lease_keeps_its_key_alive_across_several_ttls_and_its_lost_token_fires_when_someone_else_revokes_it()
    {
        await using var lease = await Client.GrantLeaseAsync(TimeSpan.FromSeconds(2));
        await Client.PutAsync("svc/web-1", "10.0.0.7:80", KvWriteOptions.WithLease(lease.Id));

        // Watch the leader's count-down: each time the remaining time goes up, a keep-alive
        // arrived. Seven renewals at a third of the TTL each span more than two whole TTLs.
        var renewals = 0;
        TimeSpan? previous = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            var info = await Client.GetLeaseAsync(lease.Id);
            info.Should().NotBeNull("the lease is kept alive");
            if (info!.Remaining is { } remaining)
            {
                if (previous is { } before && remaining > before)
                    renewals++;
                previous = remaining;
            }

            return renewals >= 7;
        }, "the lease's remaining time to be renewed seven times", Deadline, () => $"{renewals} renewals");

        var described = await Client.GetLeaseAsync(lease.Id);
        described!.Ttl.Should().Be(TimeSpan.FromSeconds(2));
        described.Keys.Should().Equal("svc/web-1");
        (await Client.GetAsync("svc/web-1"))!.ValueAsString().Should().Be("10.0.0.7:80", "the key outlived several TTLs");
        (await Client.ListLeasesAsync()).Should().Contain(l => l.Id == lease.Id);
        lease.Lost.IsCancellationRequested.Should().BeFalse();
        (await lease.KeepAliveAsync()).Should().BeGreaterThan(TimeSpan.Zero);

        // Someone else revokes it: the key goes at once, and the handle learns at its next keep-alive.
        await using (var other = new KvClient(new KvClientOptions { Endpoints = [members.Cluster.Url(3)] }))
            (await other.RevokeLeaseAsync(lease.Id)).Should().BeTrue();
        await Eventually.WaitUntilAsync(() => lease.Lost.IsCancellationRequested, "the lease's Lost token to fire", Deadline);
        lease.LossReason.Should().Contain("does not exist");
        (await Client.GetAsync("svc/web-1")).Should().BeNull();
        (await Client.GetLeaseAsync(lease.Id)).Should().BeNull();
        (await Client.RevokeLeaseAsync(lease.Id)).Should().BeFalse();
    }

    [Fact]
    public async Task Puts_attach_keys_to_leases_or_grant_one_with_a_ttl_and_a_disposed_lease_takes_its_keys()
    {
        await FluentActions.Awaiting(() => Client.PutAsync("ttl/bad", "x", KvWriteOptions.WithLease(4_242_424_243)).AsTask())
            .Should().ThrowAsync<KvLeaseNotFoundException>();
        (await Client.GetAsync("ttl/bad")).Should().BeNull();
        await FluentActions.Awaiting(() => Client.PutAsync("ttl/x", "x", new KvWriteOptions { Lease = 1, Ttl = TimeSpan.FromSeconds(5) }).AsTask())
            .Should().ThrowAsync<ArgumentException>();

        await Client.PutAsync("ttl/short", "gone soon", new KvWriteOptions { Ttl = TimeSpan.FromSeconds(1) });
        (await Client.GetAsync("ttl/short")).Should().NotBeNull();
        await Eventually.WaitUntilAsync(async () => await Client.GetAsync("ttl/short") is null, "the key granted a 1 s lease to expire", Deadline);

        var lease = await Client.GrantLeaseAsync(TimeSpan.FromSeconds(30));
        await Client.PutAsync("ttl/owned", "x", KvWriteOptions.WithLease(lease.Id));
        await lease.DisposeAsync();
        (await Client.GetAsync("ttl/owned")).Should().BeNull("disposing the handle revokes the lease");
        lease.Lost.IsCancellationRequested.Should().BeFalse("the handle's own revocation is not a loss");

        var detached = await Client.GrantLeaseAsync(TimeSpan.FromSeconds(30));
        detached.Detach();
        await detached.DisposeAsync();
        (await Client.GetLeaseAsync(detached.Id)).Should().NotBeNull("a detached lease lives on");
        (await Client.RevokeLeaseAsync(detached.Id)).Should().BeTrue();
    }

    [Fact]
    public async Task A_lock_handle_loses_its_token_when_its_lease_is_revoked()
    {
        await using var held = await Client.AcquireLockAsync("lost-lock", TimeSpan.FromSeconds(10));
        held.Key.Should().StartWith("_locks/lost-lock/");
        held.Lost.IsCancellationRequested.Should().BeFalse();

        await using (var other = new KvClient(new KvClientOptions { Endpoints = [members.Cluster.Url(2)] }))
            (await other.RevokeLeaseAsync(held.Lease.Id)).Should().BeTrue();

        await Eventually.WaitUntilAsync(() => held.Lost.IsCancellationRequested, "the lock's Lost token to fire", Deadline);
        (await Client.GetAsync(held.Key)).Should().BeNull();
        var fenced = await Client.Transaction().If(held.HeldCondition).Then(Op.Put("fenced/by-lost", "x")).CommitAsync();
        fenced.Succeeded.Should().BeFalse("the fencing token no longer holds");
    }

    [Fact]
    public async Task Lock_contenders_are_served_in_order_with_increasing_fencing_tokens()
    {
        var ttl = TimeSpan.FromSeconds(10);
        var first = await Client.AcquireLockAsync("build-lock", ttl, TimeSpan.FromSeconds(30));
        var second = Client.AcquireLockAsync("build-lock", ttl, TimeSpan.FromSeconds(60)).AsTask();
        await WaitForWaitersAsync("build-lock", 1);
        var third = Client.AcquireLockAsync("build-lock", ttl, TimeSpan.FromSeconds(60)).AsTask();
        await WaitForWaitersAsync("build-lock", 2);

        await FluentActions.Awaiting(() => Client.AcquireLockAsync("build-lock", ttl, TimeSpan.FromSeconds(1)).AsTask())
            .Should().ThrowAsync<KvLockTimeoutException>();
        second.IsCompleted.Should().BeFalse("the lock is held");

        (await first.ReleaseAsync()).Should().BeTrue();
        await using var secondHeld = await second.WaitAsync(Deadline);
        third.IsCompleted.Should().BeFalse("the second waiter asked first");
        secondHeld.FencingToken.Should().BeGreaterThan(first.FencingToken);
        (await Client.Transaction().If(first.HeldCondition).Then(Op.Put("fenced/x", "stale")).CommitAsync()).Succeeded.Should().BeFalse();
        (await Client.Transaction().If(secondHeld.HeldCondition).Then(Op.Put("fenced/x", "fresh")).CommitAsync()).Succeeded.Should().BeTrue();

        await secondHeld.DisposeAsync();
        await using var thirdHeld = await third.WaitAsync(Deadline);
        thirdHeld.FencingToken.Should().BeGreaterThan(secondHeld.FencingToken);
        first.Lost.IsCancellationRequested.Should().BeFalse("releasing is not losing");
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Observing_an_election_sees_each_leader_its_proclamations_and_the_change_after_a_resignation()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var seen = Channel.CreateUnbounded<KvElectionLeader?>();
        var observing = Task.Run(async () =>
        {
            await foreach (var leader in Client.ObserveAsync("scheduler", stop.Token))
                await seen.Writer.WriteAsync(leader);
        });

        (await NextAsync(seen)).Should().BeNull("nobody campaigned yet");
        (await Client.GetLeaderAsync("scheduler")).Should().BeNull();

        var alpha = await Client.CampaignAsync("scheduler", "alpha:80", TimeSpan.FromSeconds(10));
        (await NextAsync(seen))!.Should().Be(new KvElectionLeader(alpha.Key, "alpha:80", alpha.Revision, alpha.Lease.Id));
        await alpha.ProclaimAsync("alpha:81");
        (await NextAsync(seen))!.Value.Should().Be("alpha:81");

        var beta = Client.CampaignAsync("scheduler", "beta:80", TimeSpan.FromSeconds(10)).AsTask();
        await WaitForCandidatesAsync("scheduler", 2);
        beta.IsCompleted.Should().BeFalse("alpha leads");

        (await alpha.ResignAsync()).Should().BeTrue();
        await using var betaLeads = await beta.WaitAsync(Deadline);
        var next = await NextAsync(seen);
        next.Should().Be(new KvElectionLeader(betaLeads.Key, "beta:80", betaLeads.Revision, betaLeads.Lease.Id));
        betaLeads.Revision.Should().BeGreaterThan(alpha.Revision);
        (await Client.GetLeaderAsync("scheduler"))!.Key.Should().Be(betaLeads.Key);
        await FluentActions.Awaiting(() => alpha.ProclaimAsync("too late").AsTask()).Should().ThrowAsync<KvNotLeaderException>();

        await betaLeads.ResignAsync();
        (await NextAsync(seen)).Should().BeNull("the last leader resigned");
        await stop.CancelAsync();
        await FluentActions.Awaiting(() => observing).Should().ThrowAsync<OperationCanceledException>();
    }

    private static async Task<KvElectionLeader?> NextAsync(Channel<KvElectionLeader?> seen)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await seen.Reader.ReadAsync(timeout.Token);
    }

    // The lock's holder and waiters, as GET /v1/locks/{name} lists them.
    private async Task WaitForWaitersAsync(string name, int waiting)
        => await Eventually.WaitUntilAsync(async () =>
        {
            using var document = JsonDocument.Parse(await members.Cluster.Client.GetStringAsync(new Uri(members.Cluster.Url(1), "v1/locks/" + name)));
            return document.RootElement.GetProperty("waiting").GetArrayLength() == waiting;
        }, $"{waiting} waiters on lock {name}", Deadline);

    private async Task WaitForCandidatesAsync(string name, int count)
        => await Eventually.WaitUntilAsync(async () =>
        {
            var page = await Client.ReadRangePageAsync("_elections/" + name + "/");
            return page.Items.Count == count;
        }, $"{count} candidates in election {name}", Deadline);
}
