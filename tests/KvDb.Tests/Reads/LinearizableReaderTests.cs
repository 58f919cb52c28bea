// LinearizableReader against a fake Raft member and a fake leader: what a read waits for on
// the leader and on a follower, and how concurrent reads share barrier rounds.
using System.Collections.Concurrent;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Tests.Raft;

namespace KvDb.Tests.Reads;

public sealed class LinearizableReaderTests
{
    private static readonly NodeOptions Options = new()
    {
        PeerEndPoint = new IPEndPoint(IPAddress.Loopback, 1),
        ClusterUrls = ["http://127.0.0.1:1"],
        DataDir = "/unused",
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadLease = false,
    };

    // A lease far longer than any test, so that no assertion depends on how fast the test runs.
    private static readonly NodeOptions LeasedOptions = Options with { ReadLease = true, ElectionTimeoutMs = 3_600_000 };

    [Fact]
    public async Task On_the_leader_a_read_waits_for_a_majority_round_and_the_commit_index_to_be_applied()
    {
        var consensus = new FakeConsensus { CommitIndex = 7 };
        var round = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        consensus.OnHeartbeatRound = () => new ValueTask(round.Task);
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), Options);

        var read = reader.WaitAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => consensus.HeartbeatRounds == 1, "the read to start a heartbeat round");
        read.IsCompleted.Should().BeFalse("no majority has confirmed leadership yet");

        round.SetResult();
        consensus.Apply(6);
        read.IsCompleted.Should().BeFalse("entry 7 is committed but not applied here yet");
        consensus.Apply(7);
        await read;
    }

    [Fact]
    public async Task Until_the_leader_commits_an_entry_of_its_term_a_read_waits_for_its_last_entry()
    {
        // Elected at index 10 (its no-op), commit index still 4 from the previous leader.
        var consensus = new FakeConsensus { CommitIndex = 4, LeadershipStart = (1, 10) };
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), Options);

        var read = reader.WaitAsync(CancellationToken.None);
        consensus.Apply(9);
        await Eventually.WaitUntilAsync(() => consensus.HeartbeatRounds == 1, "the heartbeat round");
        read.IsCompleted.Should().BeFalse("index 10 may hold writes acknowledged by the previous leader");
        consensus.Apply(10);
        await read;
    }

    [Fact]
    public async Task A_read_that_arrives_during_a_round_waits_for_the_next_one_and_shares_it()
    {
        var consensus = new FakeConsensus();
        var rounds = new ConcurrentQueue<TaskCompletionSource>();
        consensus.OnHeartbeatRound = () =>
        {
            var round = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            rounds.Enqueue(round);
            return new ValueTask(round.Task);
        };
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), Options);

        var early = reader.WaitAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => rounds.Count == 1, "the first round to start");
        var late = Enumerable.Range(0, 20).Select(_ => reader.WaitAsync(CancellationToken.None)).ToList();

        rounds.TryDequeue(out var first).Should().BeTrue();
        first!.SetResult();
        await early;
        late.Should().OnlyContain(t => !t.IsCompleted, "a round that began before a read cannot vouch for it");

        await Eventually.WaitUntilAsync(() => rounds.Count == 1, "one more round, shared by all later reads");
        rounds.TryDequeue(out var second).Should().BeTrue();
        second!.SetResult();
        await Task.WhenAll(late);
        consensus.HeartbeatRounds.Should().Be(2);
    }

    [Fact]
    public async Task On_a_follower_a_read_asks_the_leader_for_a_read_index_and_waits_to_apply_it()
    {
        var consensus = new FakeConsensus(leading: false);
        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var leader = new FakeReadIndexSource { Index = 42 };
        var reader = new LinearizableReader(consensus, leader, Options);

        var read = reader.WaitAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => leader.Asked == 1, "the follower to ask the leader");
        consensus.Apply(41);
        read.IsCompleted.Should().BeFalse();
        consensus.Apply(42);
        await read;
        consensus.HeartbeatRounds.Should().Be(0, "the leader confirms leadership, not the follower");
    }

    [Fact]
    public async Task A_follower_whose_leader_has_stepped_down_asks_again()
    {
        var consensus = new FakeConsensus(leading: false);
        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var leader = new FakeReadIndexSource { Index = 5, FailFirst = 2 };
        var reader = new LinearizableReader(consensus, leader, Options);
        consensus.Apply(5);

        await reader.WaitAsync(CancellationToken.None);
        leader.Asked.Should().Be(3);
    }

    [Fact]
    public async Task The_leader_answers_a_read_index_only_while_it_leads()
    {
        var consensus = new FakeConsensus(leading: false);
        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), Options);

        var confirm = () => reader.ConfirmReadIndexAsync(CancellationToken.None);
        await confirm.Should().ThrowAsync<NotLeaderException>();
    }

    [Fact]
    public async Task With_a_read_lease_reads_after_a_confirmed_round_need_no_round_of_their_own()
    {
        var (consensus, reader) = await LeaderHoldingALeaseAsync();
        consensus.HeartbeatRounds.Should().Be(1, "the first read finds no lease and confirms leadership");

        consensus.CommitIndex = 5;
        var later = Enumerable.Range(0, 20).Select(_ => reader.WaitAsync(CancellationToken.None)).ToList();
        later.Should().OnlyContain(t => !t.IsCompleted, "entry 5 is committed but not applied here yet");
        consensus.Apply(5);
        await Task.WhenAll(later);
        (await reader.ConfirmReadIndexAsync(CancellationToken.None)).Should().Be(5, "a follower's read index comes from the lease too");
        consensus.HeartbeatRounds.Should().Be(1);
    }

    [Fact]
    public async Task A_read_lease_does_not_outlive_its_term()
    {
        var (consensus, reader) = await LeaderHoldingALeaseAsync();

        // Re-elected in term 2 at index 4: the lease of term 1 vouches for nothing now.
        consensus.Term = 2;
        consensus.LeadershipStart = (2, 4);
        var read = reader.WaitAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => consensus.HeartbeatRounds == 2, "a round in the new term");
        consensus.CommitIndex = 4;
        consensus.Apply(4);
        await read;
    }

    [Fact]
    public async Task A_read_lease_is_not_used_before_the_leader_commits_an_entry_of_its_term()
    {
        // Elected at index 10, commit index 4: the lease is held but 4 may miss acknowledged writes.
        var consensus = new FakeConsensus { CommitIndex = 4, LeadershipStart = (1, 10) };
        consensus.Apply(10);
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), LeasedOptions);
        await reader.WaitAsync(CancellationToken.None);

        await reader.WaitAsync(CancellationToken.None);
        consensus.HeartbeatRounds.Should().Be(2, "each read needs a round until index 10 commits");
        consensus.CommitIndex = 10;
        await reader.WaitAsync(CancellationToken.None);
        consensus.HeartbeatRounds.Should().Be(2);
    }

    [Fact]
    public async Task A_deposed_leader_does_not_read_on_its_lease()
    {
        var (consensus, reader) = await LeaderHoldingALeaseAsync();

        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var confirm = () => reader.ConfirmReadIndexAsync(CancellationToken.None);
        await confirm.Should().ThrowAsync<NotLeaderException>();
    }

    // A leader at commit index 3 (applied) whose first read confirmed leadership and took a lease.
    private static async Task<(FakeConsensus Consensus, LinearizableReader Reader)> LeaderHoldingALeaseAsync()
    {
        var consensus = new FakeConsensus { CommitIndex = 3 };
        consensus.Apply(3);
        var reader = new LinearizableReader(consensus, new FakeReadIndexSource(), LeasedOptions);
        await reader.WaitAsync(CancellationToken.None);
        return (consensus, reader);
    }

    private sealed class FakeReadIndexSource : IReadIndexSource
    {
        private int asked;

        public long Index { get; init; }

        public int FailFirst { get; init; }

        public int Asked => Volatile.Read(ref asked);

        public Task<long> ReadIndexAsync(Uri leader, CancellationToken token)
            => Interlocked.Increment(ref asked) <= FailFirst
                ? Task.FromException<long>(new UnavailableException("not the leader any more"))
                : Task.FromResult(Index);
    }
}
