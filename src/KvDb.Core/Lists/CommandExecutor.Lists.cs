// How keyspaces and appends apply (klstore's semantics on kvdb's log).
// Invariants:
//  - An item whose nonce is not above the list's last nonce (or the nonce of an item appended
//    before it in the same append) is skipped as a duplicate, so a producer that replays after
//    a failure stores each item exactly once, whatever timestamps the replayed items carry.
//  - An append is all or nothing: an item to be appended whose explicit timestamp is below the
//    list's last (or the appended item before it) refuses the whole append, and nothing is
//    written. Skipped items take no part in that check.
//  - Items get consecutive offsets from the list's NextOffset; the keyspace's counters move
//    with them.
//  - Appended lists are reported after the entry is written (ListsAppended), for followers.
using KvDb.Core.Commands;
using KvDb.Core.Lists;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    private readonly List<(string Keyspace, byte[] Key, long NextOffset)> listAppends = [];

    /// <summary>The lists the last <see cref="Execute"/> appended to, with their next offsets.</summary>
    public IReadOnlyList<(string Keyspace, byte[] Key, long NextOffset)> ListAppends => listAppends;

    internal CommandResult CreateKeyspace(CreateKeyspaceCommand create)
    {
        var key = ListStore.KeyspaceKey(create.Name);
        if (Read(key) is not null)
            return new(CommandOutcome.Conflict, 0);
        batch.Put(key, ListStore.Encode(new KeyspaceInfo(proposedAt, 0, 0, 0)));
        return new(CommandOutcome.Applied, 0);
    }

    internal CommandResult DeleteKeyspace(long index, DeleteKeyspaceCommand delete)
    {
        var key = ListStore.KeyspaceKey(delete.Name);
        if (Read(key) is null)
            return new(CommandOutcome.NotFound, 0);
        foreach (var space in new[] { ListStore.Metas, ListStore.Items })
        {
            var prefix = ListStore.KeyspacePrefix(space, delete.Name);
            foreach (var stored in ScanMergedStore(prefix, ListStore.PrefixEnd(prefix)).Select(static s => s.Key).ToList())
                batch.Delete(stored);
        }

        batch.Delete(key);
        return new(CommandOutcome.Applied, index);
    }

    internal CommandResult Append(long index, AppendCommand append)
    {
        var keyspaceKey = ListStore.KeyspaceKey(append.Keyspace);
        if (Read(keyspaceKey) is not { } keyspaceBytes)
            return new(CommandOutcome.NotFound, 0);
        var keyspace = ListStore.DecodeKeyspace(keyspaceBytes);
        var metaKey = ListStore.MetaKey(append.Keyspace, append.Key);
        var stored = Read(metaKey);
        var meta = stored is null ? new ListMeta(0, 0, null, 0, 0, 0) : ListStore.DecodeMeta(stored);

        // Timestamps first, over the items that will be appended: an append that would put time
        // backwards changes nothing.
        var last = meta.Count > 0 ? meta.LastTimestampMs : long.MinValue;
        var newest = meta.LastNonce;
        foreach (var item in append.Items)
        {
            if (IsReplay(item, newest))
                continue;
            if (item.TimestampMs is { } given && given < last)
                return new(CommandOutcome.PreconditionFailed, meta.LastTimestampMs);
            last = item.TimestampMs ?? long.Max(proposedAt, last);
            newest = item.Nonce ?? newest;
        }

        var itemPrefix = ListStore.ItemPrefix(append.Keyspace, append.Key);
        long first = -1, appended = 0, skipped = 0, bytes = 0;
        var timestamp = meta.Count > 0 ? meta.LastTimestampMs : long.MinValue;
        var nonce = meta.LastNonce;
        var next = meta.NextOffset;
        var firstTimestamp = meta.FirstTimestampMs;
        foreach (var item in append.Items)
        {
            if (IsReplay(item, nonce))
            {
                skipped++;
                continue;
            }

            timestamp = item.TimestampMs ?? long.Max(proposedAt, timestamp);
            if (next == meta.FirstOffset)
                firstTimestamp = timestamp;
            batch.Put(ListStore.ItemKey(itemPrefix, next), ListStore.Encode(item.Nonce, timestamp, item.Value));
            nonce = item.Nonce ?? nonce;
            first = first < 0 ? next : first;
            next++;
            appended++;
            bytes += item.Value.Length;
        }

        if (appended > 0)
        {
            batch.Put(metaKey, ListStore.Encode(new ListMeta(meta.FirstOffset, next, nonce, firstTimestamp, timestamp, meta.Bytes + bytes)));
            batch.Put(keyspaceKey, ListStore.Encode(keyspace with { Keys = keyspace.Keys + (stored is null ? 1 : 0), Items = keyspace.Items + appended, Bytes = keyspace.Bytes + bytes }));
            listAppends.Add((append.Keyspace, append.Key, next));
        }

        return new(CommandOutcome.Applied, index, Reply: new AppendReply { FirstOffset = first, LastOffset = appended > 0 ? next - 1 : -1, Appended = appended, Skipped = skipped }.Encode());
    }

    // An item whose nonce is not above the newest accepted one was stored before.
    private static bool IsReplay(AppendItem item, byte[]? newest)
        => item.Nonce is { } given && newest is not null && given.AsSpan().SequenceCompareTo(newest) <= 0;
}
