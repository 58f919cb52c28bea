// Iterates every entry of one table: an index-block cursor picks data blocks, a data-block
// cursor walks them (leveldb's two-level iterator).
// Invariants:
//  - Valid only while the data cursor is on an entry; moving past a block's end loads the
//    next block, skipping empty ones, so Key/Value always refer to a real entry.
namespace KvDb.Core.Storage;

internal sealed class TableIterator(TableReader table, bool fillCache) : InternalIterator
{
    private readonly BlockIterator index = new BlockIterator().Reset(table.ReadIndexBlock(fillCache));
    private readonly BlockIterator data = new();
    private bool dataLoaded;

    public override bool Valid => dataLoaded && data.Valid;

    public override ReadOnlySpan<byte> Key => data.Key;

    public override ReadOnlySpan<byte> Value => data.Value;

    public override void SeekToFirst()
    {
        index.SeekToFirst();
        LoadDataBlock();
        if (dataLoaded)
            data.SeekToFirst();
        SkipExhaustedBlocks();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        index.Seek(target);
        LoadDataBlock();
        if (dataLoaded)
            data.Seek(target);
        SkipExhaustedBlocks();
    }

    public override void Next()
    {
        data.Next();
        SkipExhaustedBlocks();
    }

    private void LoadDataBlock()
    {
        dataLoaded = index.Valid;
        if (dataLoaded)
            data.Reset(table.ReadBlock(table.DecodeHandle(index.Value), fillCache));
    }

    private void SkipExhaustedBlocks()
    {
        while (dataLoaded && !data.Valid)
        {
            index.Next();
            LoadDataBlock();
            if (dataLoaded)
                data.SeekToFirst();
        }
    }
}
