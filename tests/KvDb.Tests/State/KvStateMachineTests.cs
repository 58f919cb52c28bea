// The state machine on the storage engine, driven by a real DotNext write-ahead log: restarts
// replay only what the last flush did not cover, and a snapshot moves a whole state.
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.Snapshots;
using KvDb.Core.State;
using KvDb.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.State;

public sealed class KvStateMachineTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("kvdb-sm-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private sealed class Member : IAsyncDisposable
    {
        private Member(KvStateMachine machine, WriteAheadLog log)
        {
            Machine = machine;
            Log = log;
        }

        public KvStateMachine Machine { get; }

        public WriteAheadLog Log { get; }

        public static async Task<Member> OpenAsync(string directory, long snapshotInterval = 1000, SnapshotFetcher? fetcher = null)
        {
            var engine = StorageEngine.Open(Path.Combine(directory, "db"), new StorageOptions(), NullLogger.Instance);
            var options = new KvStateMachineOptions { SnapshotInterval = snapshotInterval, CatchUpEntries = 0, Fetcher = fetcher, AdvertisedUrl = "test://" + directory };
            var machine = new KvStateMachine(engine, options, NullLogger.Instance);
            var log = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(directory, "raft"), ChunkSize = 1 << 20 }, machine);
            await log.InitializeAsync();
            return new Member(machine, log);
        }

        public async Task<long> AppendCommittedAsync(params KvCommand[] commands)
        {
            var payload = LogEntryCodec.Encode(commands, 0);
            var index = await Log.AppendAsync(new BinaryLogEntry { Term = 1, Content = payload });
            await Log.CommitAsync(index);
            await Log.WaitForApplyAsync(index);
            return index;
        }

        public string? Read(string key)
            => Machine.Store.TryGet(StoreKeys.ForUser(Encoding.UTF8.GetBytes(key)), out var record)
                ? Encoding.UTF8.GetString(UserRecord.Payload(record!).Span)
                : null;

        public async ValueTask DisposeAsync()
        {
            await Log.DisposeAsync();
            await Machine.DisposeAsync();
            Machine.Store.Dispose();
        }
    }

    private static PutCommand Put(string key, string value) => new() { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) };

    [Fact]
    public async Task A_restart_resumes_from_the_last_flush_and_replays_the_rest_of_the_log()
    {
        long snapshotIndex;
        await using (var member = await Member.OpenAsync(root, snapshotInterval: 10))
        {
            for (var i = 1; i <= 35; i++)
                await member.AppendCommittedAsync(Put($"k{i}", $"v{i}"));
            await Eventually.WaitUntilAsync(() => member.Machine.SnapshotIndex >= 20, "a flush to cover index 20 (one starts every 10 applied entries)");

            snapshotIndex = member.Machine.SnapshotIndex;
            snapshotIndex.Should().BeGreaterThanOrEqualTo(20, "a flush starts every 10 applied entries");
            snapshotIndex.Should().Be(member.Machine.Engine.DurableIndex);
        }

        await using var reopened = await Member.OpenAsync(root, snapshotInterval: 10);
        reopened.Machine.AppliedIndex.Should().Be(35, "the entries after the flush point are replayed from the log");
        for (var i = 1; i <= 35; i++)
            reopened.Read($"k{i}").Should().Be($"v{i}");
        ((ISnapshotManager)reopened.Machine).Snapshot!.Index.Should().BeGreaterThanOrEqualTo(snapshotIndex);
    }

    [Fact]
    public async Task An_entry_that_replaced_a_proposal_at_its_index_is_applied_without_the_proposals_stale_context()
    {
        // A deposed leader's uncommitted entry is overwritten by the new leader's; DotNext keeps
        // the old entry's context under that index and hands it to the applier with the new one.
        await using var member = await Member.OpenAsync(root);
        var stale = new ProposalContext(term: 1, commandCount: 1);
        var proposed = await member.Log.AppendAsync(new BinaryLogEntry { Term = 1, Content = LogEntryCodec.Encode([Put("lost", "x")], 0), Context = stale });

        var replacement = LogEntryCodec.Encode([Put("a", "1"), Put("b", "2")], 0);
        await member.Log.AppendAsync(new BinaryLogEntry { Term = 2, Content = replacement }, proposed);
        await member.Log.CommitAsync(proposed);
        await member.Log.WaitForApplyAsync(proposed);

        member.Read("a").Should().Be("1");
        member.Read("b").Should().Be("2");
        member.Read("lost").Should().BeNull();
        stale.Index.Should().Be(0, "the proposer must learn its entry was not the one applied");
        member.Machine.AppliedIndex.Should().Be(proposed);
    }

    [Fact]
    public async Task A_committed_entry_that_cannot_be_applied_is_reported_so_the_member_can_stop()
    {
        await using var member = await Member.OpenAsync(root);
        (long Index, Exception Error)? failure = null;
        member.Machine.ApplyFailed += (index, error) => failure = (index, error);

        var index = await member.Log.AppendAsync(new BinaryLogEntry { Term = 1, Content = new byte[] { 0xFF, 0x00, 0x13 } });
        await member.Log.CommitAsync(index);
        await Eventually.WaitUntilAsync(() => failure is not null, "ApplyFailed to report the undecodable entry");

        failure.Should().NotBeNull("DotNext stops applying after this, so the member must learn of it");
        failure!.Value.Index.Should().Be(index);
        member.Machine.AppliedIndex.Should().Be(0);
    }

    [Fact]
    public async Task A_proposal_context_receives_its_entrys_index_and_results()
    {
        await using var member = await Member.OpenAsync(root);
        var context = new ProposalContext(term: 3, commandCount: 2);
        var index = await member.Log.AppendAsync(new BinaryLogEntry { Term = 3, Content = LogEntryCodec.Encode([Put("a", "1"), Put("b", "2")], 0), Context = context });
        await member.Log.CommitAsync(index);
        await member.Log.WaitForApplyAsync(index);

        context.Index.Should().Be(index);
        context.Results.Should().OnlyContain(result => result.Outcome == CommandOutcome.Applied && result.Revision == index);
    }

    [Fact]
    public async Task A_snapshot_carries_a_whole_state_to_another_member_fetched_outside_the_raft_message()
    {
        await using var source = await Member.OpenAsync(Path.Combine(root, "a"), snapshotInterval: 5);
        for (var i = 1; i <= 12; i++)
            await source.AppendCommittedAsync(Put($"k{i}", $"v{i}"));
        source.Machine.Engine.Flush();

        // The engine announces a flush on its background thread, just after Flush returns.
        await Eventually.WaitUntilAsync(() => source.Machine.SnapshotIndex == 12, "the source to announce its flush at index 12");
        var snapshot = ((ISnapshotManager)source.Machine).Snapshot!;
        snapshot.Index.Should().Be(12);

        // The Raft message names the archive; the target fetches it (here straight from the source).
        var fetches = 0;
        await using var target = await Member.OpenAsync(Path.Combine(root, "b"), fetcher: (descriptor, token) =>
        {
            Interlocked.Increment(ref fetches);
            descriptor.SourceUrl.Should().Be("test://" + Path.Combine(root, "a"));
            return Task.FromResult(source.Machine.OpenSnapshotArchive(descriptor.Index, token)!);
        });
        await target.AppendCommittedAsync(Put("stale", "will be replaced"));

        // Like a leader, retry while the target answers that the archive is still being fetched.
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                await target.Log.AppendAsync(snapshot, snapshot.Index);
                return true;
            }
            catch (SnapshotNotReadyException)
            {
                return false;
            }
        }, "the target to install the snapshot (it kept answering that the archive is still being fetched)");

        fetches.Should().Be(1, "the retry installs what the first attempt fetched");

        target.Machine.AppliedIndex.Should().Be(12);
        target.Machine.SnapshotIndex.Should().Be(12);
        target.Read("k7").Should().Be("v7");
        target.Read("stale").Should().BeNull("installing a snapshot replaces the whole state");
    }
}
