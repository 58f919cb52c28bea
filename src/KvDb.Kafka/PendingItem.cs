// A record on its way to kvdb: the list it goes to, the item, and the partition offset that the
// item's acknowledgement releases for commit.
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>A list, named by keyspace and key; <paramref name="DeadLetter"/> for the dead-letter lists.</summary>
internal readonly record struct ListId(string Keyspace, string Key, bool DeadLetter = false)
{
    /// <summary>Which of <paramref name="writers"/> writers owns this list: a stable FNV-1a hash, the same in every process.</summary>
    public int Writer(int writers)
    {
        var hash = 2166136261u;
        foreach (var c in Keyspace)
            hash = (hash ^ c) * 16777619u;
        hash = (hash ^ 0) * 16777619u;
        foreach (var c in Key)
            hash = (hash ^ c) * 16777619u;
        return (int)(hash % (uint)writers);
    }

    /// <inheritdoc/>
    public override string ToString() => Keyspace + "/" + Key;
}

/// <summary>What a writer's inbox holds.</summary>
internal abstract class WriterMessage;

/// <summary>One record's item.</summary>
/// <param name="List">The list it is appended to.</param>
/// <param name="Item">The item.</param>
/// <param name="Progress">Its partition's progress, acknowledged once kvdb took the item.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Offset">Its offset.</param>
internal sealed class PendingItem(ListId List, ListAppendItem Item, PartitionProgress Progress, string Topic, long Offset) : WriterMessage
{
    public ListId List { get; } = List;

    public ListAppendItem Item { get; } = Item;

    public PartitionProgress Progress { get; } = Progress;

    public string Topic { get; } = Topic;

    public long Offset { get; } = Offset;

    /// <summary>Bytes it adds to a batch (its value).</summary>
    public int Size => Item.Value.Length;
}

/// <summary>A request to flush every batch; completed when kvdb acknowledged them all.</summary>
internal sealed class FlushRequest : WriterMessage
{
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
