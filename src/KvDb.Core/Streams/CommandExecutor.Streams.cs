// How S2's basins, streams and appends apply, on keyspaces and lists.
// Invariants:
//  - A stream append is all or nothing: the basin and stream must exist (or the basin creates
//    streams on append), the fencing token and match_seq_num are checked, in that order, before
//    any sequence number is assigned; a failed check writes nothing.
//  - Sequence numbers are the list's offsets: contiguous from 0, assigned to the whole batch.
//  - Timestamps follow the stream's mode, are capped at the entry's proposed-at time unless the
//    stream is uncapped, and never go below the stream's last (they are raised, not refused).
//  - A fence record sets the token for later appends (the batch that carries it was checked
//    against the old one); a trim record deletes the records below its point, capped at its own
//    sequence number + 1, and never moves the first sequence number back.
//  - Appended streams are reported like list appends (ListAppends), so followers wake.
//  - Retention trims and delete_on_empty deletions carry what the leader decided by its clock
//    (the point to trim to, the tail it saw empty); applying re-checks only what the state and the
//    entry's time say: a retention trim never moves back, and an empty stream is deleted only if
//    still empty at that tail, still delete_on_empty, and idle long enough at the entry's time.
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.Streams;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    internal CommandResult PutBasin(PutBasinCommand put)
    {
        var keyspaceKey = ListStore.KeyspaceKey(put.Name);
        if (Read(keyspaceKey) is not null)
        {
            var existing = Read(StreamStore.BasinKey(put.Name)) is { } stored ? StreamStore.Decode<BasinRecord>(stored) : new BasinRecord { Config = BasinConfig.Default };
            var same = existing.Config.SameAs(put.Config);
            if (!put.Replace)
                return put.RequestToken is not null && put.RequestToken == existing.RequestToken && same ? Provisioned(Provision.Unchanged) : new(CommandOutcome.Conflict, 0);
            if (same)
                return Provisioned(Provision.Unchanged);
            batch.Put(StreamStore.BasinKey(put.Name), StreamStore.Encode(new BasinRecord { Config = put.Config, RequestToken = existing.RequestToken }));
            return Provisioned(Provision.Updated);
        }

        batch.Put(keyspaceKey, ListStore.Encode(new KeyspaceInfo(proposedAt, 0, 0, 0)));
        batch.Put(StreamStore.BasinKey(put.Name), StreamStore.Encode(new BasinRecord { Config = put.Config, RequestToken = put.RequestToken }));
        return Provisioned(Provision.Created);
    }

    internal CommandResult DeleteBasin(long index, DeleteBasinCommand delete)
    {
        var result = DeleteKeyspace(index, new DeleteKeyspaceCommand { Name = delete.Name });
        if (result.Outcome is not CommandOutcome.Applied)
            return result;
        batch.Delete(StreamStore.BasinKey(delete.Name));
        var prefix = ListStore.KeyspacePrefix(StreamStore.Streams, delete.Name);
        foreach (var stored in ScanMergedStore(prefix, ListStore.PrefixEnd(prefix)).Select(static s => s.Key).ToList())
            batch.Delete(stored);
        return result;
    }

    internal CommandResult PutStream(PutStreamCommand put)
    {
        var keyspaceKey = ListStore.KeyspaceKey(put.Basin);
        if (Read(keyspaceKey) is not { } keyspaceBytes)
            return new(CommandOutcome.NotFound, 0);
        var metaKey = ListStore.MetaKey(put.Basin, StreamKeyOf(put.Stream));
        var recordKey = StreamStore.StreamKey(put.Basin, put.Stream);
        if (Read(metaKey) is not null)
        {
            var existing = StoredStream(recordKey);
            var same = existing.Config.SameAs(put.Config);
            if (!put.Replace)
                return put.RequestToken is not null && put.RequestToken == existing.RequestToken && same ? Provisioned(Provision.Unchanged) : new(CommandOutcome.Conflict, 0);
            if (same)
                return Provisioned(Provision.Unchanged);
            batch.Put(recordKey, StreamStore.Encode(new StreamRecord { CreatedAtMs = existing.CreatedAtMs, Config = put.Config, FencingToken = existing.FencingToken, RequestToken = existing.RequestToken }));
            return Provisioned(Provision.Updated);
        }

        CreateStream(keyspaceKey, ListStore.DecodeKeyspace(keyspaceBytes), put.Basin, put.Stream, put.Config, put.RequestToken);
        return Provisioned(Provision.Created);
    }

    internal CommandResult DeleteStream(long index, DeleteStreamCommand delete)
    {
        var keyspaceKey = ListStore.KeyspaceKey(delete.Basin);
        var key = StreamKeyOf(delete.Stream);
        var metaKey = ListStore.MetaKey(delete.Basin, key);
        if (Read(keyspaceKey) is not { } keyspaceBytes || Read(metaKey) is not { } metaBytes)
            return new(CommandOutcome.NotFound, 0);
        var meta = ListStore.DecodeMeta(metaBytes);
        var itemPrefix = ListStore.ItemPrefix(delete.Basin, key);
        foreach (var stored in ScanMergedStore(itemPrefix, ListStore.PrefixEnd(itemPrefix)).Select(static s => s.Key).ToList())
            batch.Delete(stored);
        batch.Delete(metaKey);
        batch.Delete(StreamStore.StreamKey(delete.Basin, delete.Stream));
        var keyspace = ListStore.DecodeKeyspace(keyspaceBytes);
        batch.Put(keyspaceKey, ListStore.Encode(keyspace with { Keys = keyspace.Keys - 1, Items = keyspace.Items - meta.Count, Bytes = keyspace.Bytes - meta.Bytes }));
        return new(CommandOutcome.Applied, index);
    }

    internal CommandResult StreamAppend(long index, StreamAppendCommand append)
    {
        var keyspaceKey = ListStore.KeyspaceKey(append.Basin);
        if (Read(keyspaceKey) is not { } keyspaceBytes)
            return AppendAnswer(index, new StreamAppendReply { Status = StreamAppendStatus.BasinNotFound });
        var keyspace = ListStore.DecodeKeyspace(keyspaceBytes);
        var key = StreamKeyOf(append.Stream);
        var metaKey = ListStore.MetaKey(append.Basin, key);
        var recordKey = StreamStore.StreamKey(append.Basin, append.Stream);
        if (Read(metaKey) is null)
        {
            var basin = Read(StreamStore.BasinKey(append.Basin)) is { } b ? StreamStore.Decode<BasinRecord>(b).Config : BasinConfig.Default;
            if (!basin.CreateStreamOnAppend)
                return AppendAnswer(index, new StreamAppendReply { Status = StreamAppendStatus.StreamNotFound });
            keyspace = CreateStream(keyspaceKey, keyspace, append.Basin, append.Stream, basin.DefaultStreamConfig, requestToken: null);
        }

        var meta = ListStore.DecodeMeta(Read(metaKey)!);
        var stream = StoredStream(recordKey);
        var tailTimestamp = meta.NextOffset > 0 ? meta.LastTimestampMs : 0;
        if (append.FencingToken is { } token && token != stream.FencingToken)
            return AppendAnswer(index, new StreamAppendReply { Status = StreamAppendStatus.FencingTokenMismatch, FencingToken = stream.FencingToken, TailSeqNum = meta.NextOffset, TailTimestamp = tailTimestamp });
        if (append.MatchSeqNum is { } match && match != meta.NextOffset)
            return AppendAnswer(index, new StreamAppendReply { Status = StreamAppendStatus.SeqNumMismatch, TailSeqNum = meta.NextOffset, TailTimestamp = tailTimestamp });
        var config = stream.Config;
        if (config.TimestampingMode == TimestampingModes.ClientRequire && Array.Exists(append.Records, static r => r.TimestampMs is null))
            return AppendAnswer(index, new StreamAppendReply { Status = StreamAppendStatus.TimestampRequired });

        var itemPrefix = ListStore.ItemPrefix(append.Basin, key);
        var last = meta.NextOffset > 0 ? meta.LastTimestampMs : 0;
        var next = meta.NextOffset;
        var firstTimestamp = meta.NextOffset == meta.FirstOffset ? -1 : meta.FirstTimestampMs;
        long startTimestamp = 0, bytes = 0, trimTo = meta.FirstOffset;
        var fencingToken = stream.FencingToken;
        foreach (var record in append.Records)
        {
            var timestamp = config.TimestampingMode == TimestampingModes.Arrival ? proposedAt : record.TimestampMs ?? proposedAt;
            if (!config.Uncapped)
                timestamp = long.Min(timestamp, proposedAt);
            timestamp = long.Max(timestamp, last);
            switch (RecordHeaders.CommandOf(record.Headers))
            {
                case RecordCommand.Fence:
                    fencingToken = System.Text.Encoding.UTF8.GetString(record.Body);
                    break;
                case RecordCommand.Trim when record.Body.Length == 8:
                    trimTo = long.Max(trimTo, (long)ulong.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(record.Body), (ulong)next + 1));
                    break;
            }

            batch.Put(ListStore.ItemKey(itemPrefix, next), ListStore.Encode(null, timestamp, record.Body, record.Headers));
            startTimestamp = next == meta.NextOffset ? timestamp : startTimestamp;
            firstTimestamp = firstTimestamp < 0 ? timestamp : firstTimestamp;
            bytes += record.Body.Length + (record.Headers?.Length ?? 0);
            last = timestamp;
            next++;
        }

        var appended = next - meta.NextOffset;
        meta = meta with { NextOffset = next, LastTimestampMs = last, FirstTimestampMs = firstTimestamp, Bytes = meta.Bytes + bytes };
        keyspace = keyspace with { Items = keyspace.Items + appended, Bytes = keyspace.Bytes + bytes };
        if (trimTo > meta.FirstOffset)
            (meta, keyspace) = Trim(itemPrefix, meta, keyspace, trimTo);
        batch.Put(metaKey, ListStore.Encode(meta));
        batch.Put(keyspaceKey, ListStore.Encode(keyspace));
        if (fencingToken != stream.FencingToken)
            batch.Put(recordKey, StreamStore.Encode(new StreamRecord { CreatedAtMs = stream.CreatedAtMs, Config = stream.Config, FencingToken = fencingToken, RequestToken = stream.RequestToken }));
        listAppends.Add((append.Basin, key, next));
        return AppendAnswer(index, new StreamAppendReply
        {
            Status = StreamAppendStatus.Appended,
            StartSeqNum = next - appended, StartTimestamp = startTimestamp, EndSeqNum = next, EndTimestamp = last, TailSeqNum = next, TailTimestamp = last,
        });
    }

    internal CommandResult StreamRetentionTrim(long index, StreamRetentionTrimCommand trim)
    {
        var keyspaceKey = ListStore.KeyspaceKey(trim.Basin);
        var key = StreamKeyOf(trim.Stream);
        var metaKey = ListStore.MetaKey(trim.Basin, key);
        if (Read(keyspaceKey) is not { } keyspaceBytes || Read(metaKey) is not { } metaBytes)
            return new(CommandOutcome.NotFound, 0);
        var meta = ListStore.DecodeMeta(metaBytes);
        var trimTo = long.Min(trim.TrimTo, meta.NextOffset);
        if (trimTo <= meta.FirstOffset)
            return new(CommandOutcome.Applied, index, Reply: Count(0));
        var trimmed = trimTo - meta.FirstOffset;
        var (after, keyspace) = Trim(ListStore.ItemPrefix(trim.Basin, key), meta, ListStore.DecodeKeyspace(keyspaceBytes), trimTo);
        batch.Put(metaKey, ListStore.Encode(after));
        batch.Put(keyspaceKey, ListStore.Encode(keyspace));
        return new(CommandOutcome.Applied, index, Reply: Count(trimmed));
    }

    internal CommandResult DeleteEmptyStream(long index, DeleteEmptyStreamCommand delete)
    {
        var metaKey = ListStore.MetaKey(delete.Basin, StreamKeyOf(delete.Stream));
        if (Read(metaKey) is not { } metaBytes || Read(StreamStore.StreamKey(delete.Basin, delete.Stream)) is not { } recordBytes)
            return new(CommandOutcome.NotFound, 0);
        var meta = ListStore.DecodeMeta(metaBytes);
        var stream = StreamStore.Decode<StreamRecord>(recordBytes);
        var idleSince = meta.NextOffset > 0 ? meta.LastTimestampMs : stream.CreatedAtMs;
        var minAgeMs = stream.Config.DeleteOnEmptyMinAgeSecs * 1000;
        if (meta.Count != 0 || meta.NextOffset != delete.Tail || minAgeMs <= 0 || proposedAt - idleSince < minAgeMs)
            return new(CommandOutcome.PreconditionFailed, 0);
        return DeleteStream(index, new DeleteStreamCommand { Basin = delete.Basin, Stream = delete.Stream });
    }

    private static byte[] Count(long count)
    {
        var reply = new byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(reply, count);
        return reply;
    }

    // Deletes the records below trimTo; the list's first offset moves up to it.
    private (ListMeta Meta, KeyspaceInfo Keyspace) Trim(byte[] itemPrefix, ListMeta meta, KeyspaceInfo keyspace, long trimTo)
    {
        long count = 0, bytes = 0;
        foreach (var (key, value) in ScanMergedStore(ListStore.ItemKey(itemPrefix, meta.FirstOffset), ListStore.ItemKey(itemPrefix, trimTo)).ToList())
        {
            bytes += ListStore.DecodeItem(ListStore.OffsetOf(key), value).Size;
            count++;
            batch.Delete(key);
        }

        var firstTimestamp = trimTo < meta.NextOffset && Read(ListStore.ItemKey(itemPrefix, trimTo)) is { } first
            ? ListStore.DecodeItem(trimTo, first).TimestampMs
            : meta.LastTimestampMs;
        return (meta with { FirstOffset = trimTo, FirstTimestampMs = firstTimestamp, Bytes = meta.Bytes - bytes },
            keyspace with { Items = keyspace.Items - count, Bytes = keyspace.Bytes - bytes });
    }

    private KeyspaceInfo CreateStream(byte[] keyspaceKey, KeyspaceInfo keyspace, string basin, string stream, StreamConfig config, string? requestToken)
    {
        batch.Put(ListStore.MetaKey(basin, StreamKeyOf(stream)), ListStore.Encode(new ListMeta(0, 0, null, 0, 0, 0)));
        batch.Put(StreamStore.StreamKey(basin, stream), StreamStore.Encode(new StreamRecord { CreatedAtMs = proposedAt, Config = config, RequestToken = requestToken }));
        keyspace = keyspace with { Keys = keyspace.Keys + 1 };
        batch.Put(keyspaceKey, ListStore.Encode(keyspace));
        return keyspace;
    }

    // A list appended through the lists API has no stream record: it reads as a stream created
    // at its first item with the default configuration.
    private StreamRecord StoredStream(byte[] recordKey)
        => Read(recordKey) is { } stored ? StreamStore.Decode<StreamRecord>(stored) : new StreamRecord { Config = StreamConfig.Default };

    private static byte[] StreamKeyOf(string stream) => System.Text.Encoding.UTF8.GetBytes(stream);

    private static CommandResult Provisioned(Provision provision) => new(CommandOutcome.Applied, 0, Reply: [(byte)provision]);

    private static CommandResult AppendAnswer(long index, StreamAppendReply reply)
        => new(reply.Status is StreamAppendStatus.Appended ? CommandOutcome.Applied : CommandOutcome.PreconditionFailed, index, Reply: reply.Encode());
}
