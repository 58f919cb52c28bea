// Merges several sorted internal-key sources into one sorted stream (forward only).
// Invariants:
//  - The current entry is the smallest key among the valid children; on equal keys the
//    earlier child wins (children are passed newest source first).
//  - A linear scan picks the smallest child: the engine merges at most a memtable or two,
//    a dozen level-0 tables and one iterator per deeper level, where a heap buys nothing.
namespace KvDb.Core.Storage;

internal sealed class MergingIterator(IReadOnlyList<InternalIterator> children) : InternalIterator
{
    private int current = -1;

    public override bool Valid => current >= 0;

    public override ReadOnlySpan<byte> Key => children[current].Key;

    public override ReadOnlySpan<byte> Value => children[current].Value;

    public override void SeekToFirst()
    {
        foreach (var child in children)
            child.SeekToFirst();
        FindSmallest();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        foreach (var child in children)
            child.Seek(target);
        FindSmallest();
    }

    public override void Next()
    {
        children[current].Next();
        FindSmallest();
    }

    public override void Dispose()
    {
        foreach (var child in children)
            child.Dispose();
        base.Dispose();
    }

    private void FindSmallest()
    {
        current = -1;
        for (var i = 0; i < children.Count; i++)
        {
            if (children[i].Valid && (current < 0 || InternalKey.Compare(children[i].Key, children[current].Key) < 0))
                current = i;
        }
    }
}
