// What the bridge knows of one assigned partition: the offsets it consumed, in order, and which
// of them kvdb acknowledged (appended, skipped as duplicates, or dead-lettered).
// Invariants:
//  - CommitPosition is one past the last offset of the longest acknowledged prefix of what was
//    consumed: a record not yet acknowledged holds back the commit of every record after it,
//    whichever writer has them, so a committed offset never passes an unwritten record.
//  - Thread-safe: the consumer thread adds, writers acknowledge, the committer reads.
using Confluent.Kafka;

namespace KvDb.Kafka;

/// <summary>Consumed and acknowledged offsets of one partition.</summary>
internal sealed class PartitionProgress(TopicPartition partition)
{
    private readonly Lock gate = new();
    private readonly Queue<long> unacknowledged = new();
    private readonly HashSet<long> acknowledgedEarly = [];
    private long position = -1;
    private long committed = -1;
    private long consumedNext = -1;
    private long firstConsumed = -1;

    /// <summary>The partition.</summary>
    public TopicPartition Partition { get; } = partition;

    /// <summary>Set when the partition was revoked or lost: acknowledgements no longer matter.</summary>
    public bool Released { get; set; }

    /// <summary>Records consumed but not yet committed (an offset distance: compacted gaps count).</summary>
    public long CommitLag
    {
        get
        {
            lock (gate)
                return consumedNext < 0 ? 0 : consumedNext - (committed >= 0 ? committed : firstConsumed);
        }
    }

    /// <summary>Notes that <paramref name="offset"/> was consumed (the consumer thread, in partition order).</summary>
    public void Consumed(long offset)
    {
        lock (gate)
        {
            if (firstConsumed < 0)
                firstConsumed = offset;
            unacknowledged.Enqueue(offset);
            consumedNext = offset + 1;
        }
    }

    /// <summary>Notes that kvdb acknowledged the record at <paramref name="offset"/>.</summary>
    public void Acknowledged(long offset)
    {
        lock (gate)
        {
            if (unacknowledged.TryPeek(out var head) && head == offset)
            {
                unacknowledged.Dequeue();
                position = offset + 1;
                while (unacknowledged.TryPeek(out head) && acknowledgedEarly.Remove(head))
                {
                    unacknowledged.Dequeue();
                    position = head + 1;
                }
            }
            else
            {
                acknowledgedEarly.Add(offset);
            }
        }
    }

    /// <summary>The offset to commit when it moved since the last commit, else null.</summary>
    public TopicPartitionOffset? TakeCommit()
    {
        lock (gate)
            return position > committed ? new TopicPartitionOffset(Partition, new Offset(position)) : null;
    }

    /// <summary>Notes that <paramref name="offset"/> was committed.</summary>
    public void MarkCommitted(long offset)
    {
        lock (gate)
            committed = Math.Max(committed, offset);
    }

    /// <summary>Whether every consumed record was acknowledged.</summary>
    public bool Drained
    {
        get
        {
            lock (gate)
                return unacknowledged.Count == 0;
        }
    }
}
