// ProposalBatcher against a fake Raft member and a fake leader: group commit, one write per
// key per entry, forwarding, the bounded queue, the leadership term, and draining on stop.
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Tests.Raft;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Writes;

public sealed class ProposalBatcherTests
{
    private static NodeOptions Options(int maxPendingWrites = 16_384) => new()
    {
        PeerEndPoint = new IPEndPoint(IPAddress.Loopback, 1),
        ClusterUrls = ["http://127.0.0.1:1"],
        DataDir = "/unused",
        RequestTimeout = TimeSpan.FromSeconds(10),
        MaxPendingWrites = maxPendingWrites,
    };

    private static PutCommand Put(string key, string value = "v") => new() { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) };

    private static async Task<ProposalBatcher> StartAsync(IConsensus consensus, IWriteForwarder? forwarder = null, NodeOptions? options = null, ICommandGate? gate = null)
    {
        var batcher = new ProposalBatcher(consensus, forwarder ?? new FakeLeader(), options ?? Options(), CommandRegistry.Default, gate ?? AllowAll.Instance, NullLogger<ProposalBatcher>.Instance);
        await batcher.StartAsync(CancellationToken.None);
        return batcher;
    }

    [Fact]
    public async Task Concurrent_writes_share_entries_and_each_gets_its_entry_index_as_revision()
    {
        var consensus = new FakeConsensus { HoldCommits = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = await StartAsync(consensus);

        // The first write takes an entry and holds it; the next 50 pile up behind it.
        var first = batcher.ProposeAsync(Put("k0"), mayForward: true, CancellationToken.None);
        await Eventually.WaitUntilAsync(() => consensus.Entries.Count == 1, "the first write to be proposed");
        var rest = Enumerable.Range(1, 50).Select(i => batcher.ProposeAsync(Put($"k{i}"), mayForward: true, CancellationToken.None)).ToList();
        consensus.HoldCommits.SetResult();
        var results = await Task.WhenAll(rest.Prepend(first));

        consensus.Entries.Count.Should().BeLessThan(51, "writes waiting while the log is busy are committed together");
        results.Should().OnlyContain(r => r.Outcome == CommandOutcome.Applied && r.Revision == r.Index && r.Index > 0);
        consensus.Entries.SelectMany(e => e.Commands).Should().HaveCount(51);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Two_writes_of_one_key_never_share_an_entry()
    {
        var consensus = new FakeConsensus { HoldCommits = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = await StartAsync(consensus);
        var blocker = batcher.ProposeAsync(Put("other"), mayForward: true, CancellationToken.None);
        await Eventually.WaitUntilAsync(() => consensus.Entries.Count == 1, "the first write to be proposed");

        var writes = Enumerable.Range(0, 5).Select(i => batcher.ProposeAsync(Put("same", $"v{i}"), mayForward: true, CancellationToken.None)).ToList();
        consensus.HoldCommits.SetResult();
        var results = await Task.WhenAll(writes);
        await blocker;

        results.Select(r => r.Revision).Should().OnlyHaveUniqueItems("each write of a key gets its own revision");
        consensus.Entries.Should().OnlyContain(e => e.Commands.OfType<KeyCommand>().Select(c => Encoding.UTF8.GetString(c.Key)).Distinct().Count() == e.Commands.Length);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_command_no_feature_registered_is_refused_to_its_caller_and_later_writes_still_commit()
    {
        var consensus = new FakeConsensus();
        var batcher = await StartAsync(consensus);

        // Bounded waits: before the fix the refused write, and every write after it, never ended.
        var refused = () => batcher.ProposeAsync(new UnregisteredCommand(), mayForward: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await refused.Should().ThrowAsync<InvalidOperationException>().WithMessage("*UnregisteredCommand*");
        (await batcher.ProposeAsync(Put("after"), mayForward: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30))).Outcome.Should().Be(CommandOutcome.Applied);
        await batcher.StopAsync(CancellationToken.None);
    }

    private sealed class UnregisteredCommand : KvCommand
    {
        public override int ApproximateSize => 8;

        public override string? Validate() => null;
    }

    [Fact]
    public async Task Entries_carry_the_term_this_member_leads_in_and_a_moved_term_proposes_nothing()
    {
        var consensus = new FakeConsensus(term: 3);
        var batcher = await StartAsync(consensus);
        (await batcher.ProposeAsync(Put("a"), mayForward: true, CancellationToken.None)).Outcome.Should().Be(CommandOutcome.Applied);
        consensus.Entries.Single().Entry.Term.Should().Be(3);

        // Deposed: the term moved on while this member still thinks it leads.
        consensus.Term = 4;
        var refused = () => batcher.ProposeAsync(Put("b"), mayForward: true, CancellationToken.None);
        (await refused.Should().ThrowAsync<UnavailableException>()).Which.OutcomeUnknown.Should().BeFalse();
        consensus.Entries.Should().HaveCount(1, "nothing is proposed under a term this member does not lead");
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_follower_forwards_its_batch_and_answers_once_it_has_applied_it()
    {
        var consensus = new FakeConsensus(leading: false);
        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var leader = new FakeLeader();
        var batcher = await StartAsync(consensus, leader);

        var write = batcher.ProposeAsync(Put("a"), mayForward: true, CancellationToken.None);
        await Eventually.WaitUntilAsync(() => leader.Batches.Count == 1, "the batch to reach the leader");
        leader.Batches.Single().Leader.Should().Be(FakeConsensus.LeaderUri);
        write.IsCompleted.Should().BeFalse("the follower has not applied the leader's entry yet");

        consensus.Apply(leader.LastIndex);
        (await write).Index.Should().Be(leader.LastIndex);
        consensus.Entries.Should().BeEmpty("a follower proposes nothing itself");
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_write_forwarded_to_a_member_that_no_longer_leads_is_not_forwarded_again()
    {
        var consensus = new FakeConsensus(leading: false);
        consensus.Elect(new LeaderAddress(false, FakeConsensus.LeaderUri));
        var leader = new FakeLeader();
        var batcher = await StartAsync(consensus, leader);

        var bounced = () => batcher.ProposeAsync(Put("a"), mayForward: false, CancellationToken.None);
        await bounced.Should().ThrowAsync<UnavailableException>();
        leader.Batches.Should().BeEmpty();
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_full_queue_refuses_a_write_at_once_as_not_applied()
    {
        var consensus = new FakeConsensus { HoldCommits = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = await StartAsync(consensus, options: Options(maxPendingWrites: 4));

        // Fill every in-flight slot, then the queue.
        var accepted = new List<Task<ProposalResult>>();
        for (var i = 0; consensus.Entries.Count < 4 && i < 100; i++)
        {
            accepted.Add(batcher.ProposeAsync(Put($"slot{i}"), mayForward: true, CancellationToken.None));
            await Eventually.WaitUntilAsync(() => consensus.Entries.Count == accepted.Count, "the write to take an in-flight slot");
        }

        var queued = Enumerable.Range(0, 4).Select(i => batcher.ProposeAsync(Put($"queued{i}"), mayForward: true, CancellationToken.None)).ToList();
        var refused = () => batcher.ProposeAsync(Put("one-too-many"), mayForward: true, CancellationToken.None);
        var error = (await refused.Should().ThrowAsync<UnavailableException>()).Which;
        error.OutcomeUnknown.Should().BeFalse();
        error.Message.Should().Contain("--max-pending-writes");

        consensus.HoldCommits.SetResult();
        await Task.WhenAll(accepted.Concat(queued));
        consensus.Entries.SelectMany(e => e.Commands).OfType<KeyCommand>().Should().NotContain(c => Encoding.UTF8.GetString(c.Key) == "one-too-many");
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_waits_for_batches_in_flight_and_refuses_new_writes()
    {
        var consensus = new FakeConsensus { HoldCommits = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = await StartAsync(consensus);
        var inFlight = batcher.ProposeAsync(Put("a"), mayForward: true, CancellationToken.None);
        await Eventually.WaitUntilAsync(() => consensus.Entries.Count == 1, "the write to be proposed");

        var stopping = batcher.StopAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(
            () => batcher.ProposeAsync(Put("late"), mayForward: true, CancellationToken.None) is { IsFaulted: true, Exception.InnerException: UnavailableException },
            "new writes to be refused at once while stopping");
        stopping.IsCompleted.Should().BeFalse("a batch is still being committed");

        consensus.HoldCommits.SetResult();
        await stopping;
        (await inFlight).Outcome.Should().Be(CommandOutcome.Applied, "the batch in flight committed and its client heard so");
    }

    [Fact]
    public async Task A_command_the_gate_refuses_is_never_proposed_nor_forwarded_and_others_go_on()
    {
        var consensus = new FakeConsensus();
        var forwarder = new FakeLeader();
        var gate = new RefuseTag(CommandRegistry.Default.HandlerOf(new DeleteCommand { Key = [1] }).Tag);
        var batcher = await StartAsync(consensus, forwarder, gate: gate);

        var refused = () => batcher.ProposeAsync(new DeleteCommand { Key = Encoding.UTF8.GetBytes("k") }, mayForward: true, CancellationToken.None);
        (await refused.Should().ThrowAsync<FeatureUnavailableException>()).Which.Members.Should().Equal(3);
        (await batcher.ProposeAsync(Put("k"), mayForward: true, CancellationToken.None)).Outcome.Should().Be(CommandOutcome.Applied);

        consensus.Entries.SelectMany(e => e.Commands).Should().ContainSingle().Which.Should().BeOfType<PutCommand>();
        forwarder.Batches.Should().BeEmpty();
        await batcher.StopAsync(CancellationToken.None);
    }

    /// <summary>A gate that lets everything through, as a cluster whose members all run this build.</summary>
    private sealed class AllowAll : ICommandGate
    {
        public static readonly AllowAll Instance = new();

        public UnavailableException? RefusalOf(CommandHandler handler) => null;
    }

    /// <summary>A gate under which member 3 cannot apply one command kind.</summary>
    private sealed class RefuseTag(int tag) : ICommandGate
    {
        public UnavailableException? RefusalOf(CommandHandler handler)
            => handler.Tag == tag ? new FeatureUnavailableException(handler.LogName, [3], "0.1.0", $"{handler.LogName} is not available") : null;
    }

    /// <summary>A leader that applies forwarded batches as one entry each.</summary>
    private sealed class FakeLeader : IWriteForwarder
    {
        private long index = 100;

        public ConcurrentQueue<(Uri Leader, KvCommand[] Commands)> Batches { get; } = new();

        public long LastIndex => Interlocked.Read(ref index);

        public Task<ProposalResult[]> ForwardAsync(Uri leader, KvCommand[] commands, CancellationToken token)
        {
            Batches.Enqueue((leader, commands));
            var entry = Interlocked.Increment(ref index);
            return Task.FromResult(commands.Select(_ => new ProposalResult(entry, CommandOutcome.Applied, entry)).ToArray());
        }
    }
}
