// S2's retention_policy and delete_on_empty, enforced the Raft way: the leader looks at its
// applied state every --s2-retention-interval and proposes what its clock decides, as entries
// every member applies alike (StreamRetentionTrimCommand, DeleteEmptyStreamCommand).
// Invariants:
//  - Only the leader proposes; a member that stops leading stops at its next look. A proposal
//    that loses leadership on the way is dropped: the next leader looks again.
//  - Only streams with an S2 stream record are enforced: a list written only through the lists
//    API keeps its items (its default configuration is S2's, but the lists API has no retention).
//  - The trim point is the first record not older than the age by the leader's clock (records'
//    timestamps never go back, so a binary search over the stream finds it); applying caps it at
//    the tail and never moves back, so a stale or repeated proposal is harmless.
//  - A stream is proposed for deletion only when empty; applying deletes it only if it is still
//    empty at the tail the leader saw (no append raced it) and idle for min_age_secs by the
//    entry's time.
//  - One look proposes one entry at a time, so it never floods the log.
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Streams;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using KvDb.Node.Writes;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Streams;

/// <summary>Enforces S2 streams' retention and delete_on_empty on the leader.</summary>
public sealed partial class StreamRetention(LocalState state, IConsensus consensus, IProposer proposer, IOptions<StreamsOptions> options, TimeProvider clock, ILogger<StreamRetention> logger) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RetentionInterval;
        if (interval <= TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            await state.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var command in Due())
                {
                    if (consensus.Leader is not { IsThisMember: true })
                        break;
                    await ProposeAsync(command, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>What retention and delete_on_empty call for now, by this member's state and clock (empty unless it leads).</summary>
    public List<KvCommand> Due()
    {
        var due = new List<KvCommand>();
        if (!state.IsStarted || consensus.Leader is not { IsThisMember: true })
            return due;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var view = state.Store.OpenView();
        byte[] start = [StreamStore.Streams];
        foreach (var (key, value) in view.Scan(start, ListStore.PrefixEnd(start)))
        {
            var basinLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(key.AsSpan(1));
            var basin = System.Text.Encoding.UTF8.GetString(key, 3, basinLength);
            var streamKey = key[(3 + basinLength)..];
            var stream = System.Text.Encoding.UTF8.GetString(streamKey);
            if (!view.TryGet(ListStore.MetaKey(basin, streamKey), out var metaBytes) || metaBytes is null)
                continue;
            var meta = ListStore.DecodeMeta(metaBytes);
            var config = StreamStore.Decode<StreamRecord>(value);
            if (config.Config.RetentionAgeSecs is { } age && meta.Count > 0 && meta.FirstTimestampMs < now - (age * 1000))
            {
                var trimTo = FirstNotOlder(view, ListStore.ItemPrefix(basin, streamKey), meta, now - (age * 1000));
                if (trimTo > meta.FirstOffset)
                    due.Add(new StreamRetentionTrimCommand { Basin = basin, Stream = stream, TrimTo = trimTo });
            }
            else if (config.Config.DeleteOnEmptyMinAgeSecs > 0 && meta.Count == 0
                && now - (meta.NextOffset > 0 ? meta.LastTimestampMs : config.CreatedAtMs) >= config.Config.DeleteOnEmptyMinAgeSecs * 1000)
            {
                due.Add(new DeleteEmptyStreamCommand { Basin = basin, Stream = stream, Tail = meta.NextOffset });
            }
        }

        return due;
    }

    // The first offset whose record is at or after cutoff (the tail when every record is older).
    private static long FirstNotOlder(IKeyValueView view, byte[] itemPrefix, ListMeta meta, long cutoff)
    {
        long low = meta.FirstOffset, high = meta.NextOffset;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var old = view.TryGet(ListStore.ItemKey(itemPrefix, middle), out var item) && item is not null && ListStore.DecodeItem(middle, item).TimestampMs < cutoff;
            if (old)
                low = middle + 1;
            else
                high = middle;
        }

        return low;
    }

    private async Task ProposeAsync(KvCommand command, CancellationToken token)
    {
        try
        {
            var result = await proposer.ProposeAsync(command, mayForward: false, token).ConfigureAwait(false);
            if (result.Outcome is not CommandOutcome.Applied)
                return;
            switch (command)
            {
                case StreamRetentionTrimCommand trim when result.Reply is { Length: sizeof(long) } reply:
                    var trimmed = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(reply);
                    StreamInstruments.RecordsTrimmedByRetention.Add(trimmed);
                    if (trimmed > 0)
                        LogTrimmed(trim.Basin, trim.Stream, trimmed, trim.TrimTo);
                    break;
                case DeleteEmptyStreamCommand delete:
                    StreamInstruments.StreamsDeletedOnEmpty.Add(1);
                    LogDeleted(delete.Basin, delete.Stream);
                    break;
            }
        }
        catch (Exception e) when (e is UnavailableException or InsufficientStorageException && !token.IsCancellationRequested)
        {
            // Not leading any more, or no quorum now: the next look (here or on the next leader) tries again.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention trimmed {Count} records of stream {Stream} in basin {Basin} (now from seq_num {TrimTo})")]
    private partial void LogTrimmed(string basin, string stream, long count, long trimTo);

    [LoggerMessage(Level = LogLevel.Information, Message = "delete_on_empty deleted stream {Stream} in basin {Basin}")]
    private partial void LogDeleted(string basin, string stream);
}
