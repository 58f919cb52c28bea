// Collects the changes one entry makes while CommandExecutor applies it, and writes them as one
// history record in the entry's batch; forgets the oldest records a few at a time, so no entry
// pays for a big sweep. See ChangeHistory for the layout and the invariants.
using System.Buffers.Binary;
using KvDb.Core.Commands;
using KvDb.Core.State;
using MessagePack;

namespace KvDb.Core.Watch;

/// <summary>Records the changes of the entry being applied.</summary>
public sealed class ChangeRecorder(TimeSpan window, long floor)
{
    private const int ForgetPerRecord = 4;

    private readonly List<ChangeEvent> events = [];
    private readonly List<bool> outcomes = [];
    private (long Revision, long ProposedAtUnixMs)? oldest;

    /// <summary>Forgets the changes collected so far (a new entry begins).</summary>
    public void Clear()
    {
        events.Clear();
        outcomes.Clear();
    }

    /// <summary>Records the outcome of a transaction of the entry (true: its comparisons held).</summary>
    public void Transaction(bool succeeded) => outcomes.Add(succeeded);

    /// <summary>Records a put of <paramref name="value"/>, attached to <paramref name="lease"/> (0: none), over the stored record <paramref name="previous"/> (null: a new key).</summary>
    public void Put(byte[] key, ValueKind kind, byte[] value, byte[]? previous, long lease)
        => events.Add(previous is null
            ? new ChangeEvent { Key = key, Value = value, Kind = kind, Lease = lease }
            : new ChangeEvent { Key = key, Value = value, Kind = kind, Lease = lease, Previous = UserRecord.Payload(previous).ToArray(), PreviousKind = UserRecord.Kind(previous), PreviousRevision = UserRecord.Revision(previous) });

    /// <summary>Records the deletion of a key whose stored record was <paramref name="previous"/>.</summary>
    public void Delete(byte[] key, byte[] previous)
        => events.Add(new ChangeEvent { Deleted = true, Key = key, Previous = UserRecord.Payload(previous).ToArray(), PreviousKind = UserRecord.Kind(previous), PreviousRevision = UserRecord.Revision(previous) });

    /// <summary>The highest revision forgotten by the last <see cref="Write"/>, or 0 when it forgot nothing.</summary>
    public long Forgotten { get; private set; }

    /// <summary>Writes the entry's record (if it changed anything) and forgets a few records past the window and the floor.</summary>
    /// <returns>The record written, or null when the entry changed no key.</returns>
    public ChangeRecord? Write(long index, long proposedAtUnixMs, StoreBatch batch, IKeyValueStore store)
    {
        Forgotten = 0;
        if (events.Count == 0 && outcomes.Count == 0)
            return null;

        var record = new ChangeRecord { ProposedAtUnixMs = proposedAtUnixMs, Events = [.. events], TransactionOutcomes = outcomes.Count > 0 ? [.. outcomes] : null };
        batch.Put(ChangeHistory.KeyOf(index), MessagePackSerializer.Serialize(record, ChangeHistory.Options));
        Clear();
        ForgetOldest(index, proposedAtUnixMs, batch, store);
        return record;
    }

    private void ForgetOldest(long index, long proposedAtUnixMs, StoreBatch batch, IKeyValueStore store)
    {
        var oldestKept = index - floor;
        var cutoff = proposedAtUnixMs - (long)window.TotalMilliseconds;

        // Most entries can forget nothing: skip the scan while the oldest record seen last time
        // is still inside the window or the floor (the store changes only through this recorder,
        // or wholesale by a snapshot install, after which forgetting is at most delayed).
        if (oldestKept <= 0 || (oldest is { } known && (known.Revision >= oldestKept || known.ProposedAtUnixMs >= cutoff)))
            return;

        long forgotten = 0;
        var count = 0;
        oldest = null;
        using var view = store.OpenView();

        // Start past what was forgotten: its deletions stay in the store as tombstones until a
        // compaction drops them, and a scan from the start of the history would step over every
        // one of them, each entry again (with a short --watch-history, on every write).
        var from = ChangeHistory.KeyOf(ChangeHistory.CompactedRevision(view) + 1);
        foreach (var (key, value) in view.Scan(from, StoreKeys.End(StoreKeys.History)))
        {
            var revision = ChangeHistory.RevisionOf(key);
            var proposedAt = ChangeHistory.Decode(value).ProposedAtUnixMs;
            if (count == ForgetPerRecord || revision >= oldestKept || proposedAt >= cutoff)
            {
                oldest = (revision, proposedAt);
                break;
            }

            batch.Delete(key);
            forgotten = revision;
            count++;
        }

        if (count > 0)
        {
            var compacted = new byte[sizeof(long)];
            BinaryPrimitives.WriteInt64LittleEndian(compacted, forgotten);
            batch.Put(ChangeHistory.CompactedKey, compacted);
            Forgotten = forgotten;
        }
    }
}
