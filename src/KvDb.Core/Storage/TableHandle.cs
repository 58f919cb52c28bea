// A table that is part of the engine's state: its manifest record plus an open reader,
// shared by every TableSet that lists it.
// Invariants:
//  - Reference-counted by TableSets: each TableSet that lists the table holds one reference.
//    When the last TableSet lets go, no reader, view or checkpoint can reach the table any
//    more, so the reader is closed and the owner decides whether to delete the file (it
//    does unless the engine is shutting down, when the file is still live on disk).
//  - Meta never changes; a table moved to another level keeps its handle.
namespace KvDb.Core.Storage;

/// <summary>The manifest's record of one table file.</summary>
internal sealed record FileMetadata(ulong Number, long Size, long EntryCount, byte[] Smallest, byte[] Largest)
{
    public ReadOnlySpan<byte> SmallestUserKey => InternalKey.UserKey(Smallest);

    public ReadOnlySpan<byte> LargestUserKey => InternalKey.UserKey(Largest);

    public bool OverlapsUserRange(ReadOnlySpan<byte> smallestUser, ReadOnlySpan<byte> largestUser)
        => LargestUserKey.SequenceCompareTo(smallestUser) >= 0 && SmallestUserKey.SequenceCompareTo(largestUser) <= 0;

    public bool ContainsUserKey(ReadOnlySpan<byte> userKey) => OverlapsUserRange(userKey, userKey);
}

internal sealed class TableHandle(FileMetadata meta, TableReader reader, Action<TableHandle> onUnreferenced)
{
    private int references;

    public FileMetadata Meta { get; } = meta;

    public TableReader Reader { get; } = reader;

    public ulong Number => Meta.Number;

    public int References => Volatile.Read(ref references);

    public void AddRef() => Interlocked.Increment(ref references);

    public void Release()
    {
        var left = Interlocked.Decrement(ref references);
        if (left == 0)
            onUnreferenced(this);
        else if (left < 0)
            throw new InvalidOperationException($"Table {Number} released more often than referenced.");
    }
}
