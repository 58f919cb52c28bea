// Iterates a sorted, non-overlapping level (1 or deeper) as if it were one table.
// Invariants:
//  - Opens at most one table iterator at a time, lazily, so scanning a level with many
//    tables holds one block per level in memory.
namespace KvDb.Core.Storage;

internal sealed class LevelIterator(IReadOnlyList<TableHandle> tables, bool fillCache) : InternalIterator
{
    private int tableIndex = tables.Count;
    private InternalIterator? current;

    public override bool Valid => current is { Valid: true };

    public override ReadOnlySpan<byte> Key => current!.Key;

    public override ReadOnlySpan<byte> Value => current!.Value;

    public override void SeekToFirst()
    {
        OpenTable(0);
        current?.SeekToFirst();
        SkipExhaustedTables();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        int left = 0, right = tables.Count;
        while (left < right)
        {
            var mid = (left + right) >>> 1;
            if (InternalKey.Compare(tables[mid].Meta.Largest, target) < 0)
                left = mid + 1;
            else
                right = mid;
        }

        OpenTable(left);
        current?.Seek(target);
        SkipExhaustedTables();
    }

    public override void Next()
    {
        current!.Next();
        SkipExhaustedTables();
    }

    public override void Dispose()
    {
        current?.Dispose();
        base.Dispose();
    }

    private void OpenTable(int index)
    {
        current?.Dispose();
        tableIndex = index;
        current = index < tables.Count ? tables[index].Reader.NewIterator(fillCache) : null;
    }

    private void SkipExhaustedTables()
    {
        while (current is { Valid: false })
        {
            OpenTable(tableIndex + 1);
            current?.SeekToFirst();
        }
    }
}
