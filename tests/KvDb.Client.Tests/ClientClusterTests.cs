// KvClient against a real three-member cluster: keys, conditions, idempotent retries, ranges
// that page, watches, members and status.
using System.Text;

namespace KvDb.Client.Tests;

public sealed class ThreeMembers : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public KvClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        Client = new KvClient(new KvClientOptions { Endpoints = [Cluster.Url(1), Cluster.Url(2), Cluster.Url(3)] });
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ClientClusterTests(ThreeMembers members) : IClassFixture<ThreeMembers>
{
    private KvClient Client => members.Client;

    [Fact]
    public async Task Put_get_and_delete_answer_revisions_and_missing_keys_are_null()
    {
        var first = await Client.PutAsync("basic/greeting", "hello");
        var entry = await Client.GetAsync("basic/greeting");
        entry.Should().NotBeNull();
        entry!.ValueAsString().Should().Be("hello");
        entry.Revision.Should().Be(first);
        entry.Key.Should().Be("basic/greeting");

        var bytes = new byte[] { 0, 255, 1, 254 };
        var second = await Client.PutAsync("basic/greeting", bytes);
        second.Should().BeGreaterThan(first);
        (await Client.GetAsync("basic/greeting"))!.Value.Should().Equal(bytes);
        // A local read answers the member's applied state at once, which may lag for a moment.
        await Eventually.WaitUntilAsync(async () => (await Client.GetAsync("basic/greeting", ReadConsistency.Local))?.Revision == second, "a local read to see the write");

        var deleted = await Client.DeleteAsync("basic/greeting");
        deleted.Should().BeGreaterThan(second);
        (await Client.GetAsync("basic/greeting")).Should().BeNull();
        (await Client.DeleteAsync("basic/greeting")).Should().BeNull("there was nothing to delete");

        // Keys with slashes, spaces and dots are sent escaped and come back as written.
        foreach (var key in new[] { "basic/a b/c%d", "basic/ü", "basic/../x" })
        {
            await Client.PutAsync(key, key);
            (await Client.GetAsync(key))!.ValueAsString().Should().Be(key);
        }
    }

    [Fact]
    public async Task Conditional_writes_hold_or_fail_with_the_current_revision()
    {
        var created = await Client.PutAsync("cas/lock", "me", KvWriteOptions.When(WriteCondition.KeyAbsent));
        var taken = await FluentActions.Awaiting(() => Client.PutAsync("cas/lock", "you", KvWriteOptions.When(WriteCondition.KeyAbsent)).AsTask())
            .Should().ThrowAsync<KvConditionFailedException>();
        taken.Which.CurrentRevision.Should().Be(created);

        var swapped = await Client.PutAsync("cas/lock", "me again", KvWriteOptions.When(WriteCondition.RevisionIs(created)));
        var stale = await FluentActions.Awaiting(() => Client.PutAsync("cas/lock", "late", KvWriteOptions.When(WriteCondition.RevisionIs(created))).AsTask())
            .Should().ThrowAsync<KvConditionFailedException>();
        stale.Which.CurrentRevision.Should().Be(swapped);
        (await Client.GetAsync("cas/lock"))!.ValueAsString().Should().Be("me again");

        var missing = await FluentActions.Awaiting(() => Client.PutAsync("cas/none", "x", KvWriteOptions.When(WriteCondition.KeyExists)).AsTask())
            .Should().ThrowAsync<KvConditionFailedException>();
        missing.Which.CurrentRevision.Should().Be(0, "the key does not exist");

        await FluentActions.Awaiting(() => Client.DeleteAsync("cas/lock", KvWriteOptions.When(WriteCondition.RevisionIs(created))).AsTask())
            .Should().ThrowAsync<KvConditionFailedException>();
        (await Client.DeleteAsync("cas/lock", KvWriteOptions.When(WriteCondition.RevisionIs(swapped)))).Should().NotBeNull();
    }

    [Fact]
    public async Task A_write_retried_with_its_idempotency_key_is_applied_once()
    {
        var once = new KvWriteOptions { IdempotencyKey = Guid.NewGuid().ToString("N") };
        var first = await Client.PutAsync("idem/k", "v", once);
        var again = await Client.PutAsync("idem/k", "v", once);
        again.Should().Be(first, "the retry is answered with the first outcome");
        (await Client.GetAsync("idem/k"))!.Revision.Should().Be(first, "and not applied again");
    }

    [Fact]
    public async Task A_range_pages_by_itself_and_lists_every_key_once_in_order()
    {
        var keys = Enumerable.Range(0, 35).Select(i => $"range/{i:D3}").ToList();
        foreach (var key in keys)
            await Client.PutAsync(key, "v" + key);
        await Client.PutAsync("rangf", "outside the prefix");

        var listed = new List<KvEntry>();
        await foreach (var entry in Client.RangeAsync("range/", pageSize: 4))
            listed.Add(entry);
        listed.Select(e => e.Key).Should().Equal(keys);
        listed.Should().OnlyContain(e => e.ValueAsString() == "v" + e.Key && e.Revision > 0);

        var page = await Client.ReadRangePageAsync("range/", limit: 30);
        page.Items.Should().HaveCount(30);
        page.Continuation.Should().NotBeNull();
        var rest = Client.ReadRangePage("range/", page.Continuation, 30, ReadConsistency.Local);
        rest.Items.Select(e => e.Key).Should().Equal(keys[30..]);
        rest.Continuation.Should().BeNull();
        rest.Revision.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_watch_yields_puts_and_deletes_of_its_prefix_in_order_with_previous_values()
    {
        var before = await Client.PutAsync("watch/a", "0");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<WatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in Client.WatchAsync("watch/", before, new WatchOptions { Prefix = true, IncludePrevious = true }, stop.Token))
            {
                events.Add(e);
                if (e.Key == "watch/end")
                    break;
            }
        });

        var a1 = await Client.PutAsync("watch/a", "1");
        await Client.PutAsync("unwatched/x", "no");
        var b = await Client.PutAsync("watch/b", "2");
        var deleted = await Client.DeleteAsync("watch/a");
        await Client.PutAsync("watch/end", "");
        await watching;

        events.Select(e => e.ToString()).Should().Equal($"put watch/a@{a1}", $"put watch/b@{b}", $"delete watch/a@{deleted}", $"put watch/end@{events[^1].Revision}");
        events[0].ValueAsString().Should().Be("1");
        events[0].PreviousValue.Should().Equal(Encoding.UTF8.GetBytes("0"));
        events[0].PreviousRevision.Should().Be(before);
        events[2].Value.Should().BeNull();
        events[2].PreviousRevision.Should().Be(a1);
    }

    [Fact]
    public async Task A_watch_of_one_key_from_now_sees_only_later_changes_of_that_key()
    {
        await Client.PutAsync("now/k", "old");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = Client.WatchAsync("now/k", afterRevision: null, new WatchOptions { IncludeProgress = true }, stop.Token).GetAsyncEnumerator(stop.Token);
        (await watch.MoveNextAsync()).Should().BeTrue();
        watch.Current.Type.Should().Be(WatchEventType.Progress, "the watch starts at the current revision, after 'old'");

        await Client.PutAsync("now/k2", "another key");
        var written = await Client.PutAsync("now/k", "new");
        do
            (await watch.MoveNextAsync()).Should().BeTrue();
        while (watch.Current.Type is WatchEventType.Progress);
        watch.Current.ToString().Should().Be($"put now/k@{written}");
    }

    [Fact]
    public async Task Members_and_status_describe_the_cluster()
    {
        var list = await Client.GetMembersAsync();
        list.Select(m => m.Id).Should().BeEquivalentTo([1, 2, 3]);
        list.Should().ContainSingle(m => m.Role == "leader");
        list.Select(m => m.HttpUrl).Should().BeEquivalentTo([members.Cluster.Url(1), members.Cluster.Url(2), members.Cluster.Url(3)]);

        var status = await Client.GetStatusAsync(members.Cluster.Url(2));
        status.Id.Should().Be(2);
        status.Ready.Should().BeTrue();
        status.Leader.Should().NotBeNull();
        status.AppliedIndex.Should().BeGreaterThan(0);
        status.Members.Should().HaveCount(3);
        status.InMemory.Should().BeTrue();
        (await Client.GetStatusAsync()).Version.Should().NotBeNullOrEmpty();
    }
}
