// Builds one block: sorted entries with prefix-compressed keys and restart points.
// Layout:
//   entry*   = shared varint | unshared varint | valueLength varint | key[shared..] | value
//   restarts = offset u32 LE per restart point | restartCount u32 LE
// Invariants:
//  - Keys are added in strictly increasing InternalKey order (the caller guarantees it).
//  - Every RestartInterval-th entry is a restart point and stores its whole key (shared = 0),
//    so a reader can binary-search restart points and decode forward from any of them.
//  - Finish leaves the builder unusable until Reset; Reset keeps buffers for reuse.
namespace KvDb.Core.Storage;

internal sealed class BlockBuilder(int restartInterval)
{
    private readonly GrowableBuffer buffer = new(4096);
    private readonly GrowableBuffer lastKey = new(64);
    private readonly List<int> restarts = [0];
    private int sinceRestart;

    public int EntryCount { get; private set; }

    public bool IsEmpty => EntryCount == 0;

    /// <summary>The size Finish would return, used to decide when to close a block.</summary>
    public int EstimatedSize => buffer.Length + ((restarts.Count + 1) * sizeof(uint));

    public ReadOnlySpan<byte> LastKey => lastKey.WrittenSpan;

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var shared = 0;
        if (sinceRestart < restartInterval)
        {
            shared = lastKey.WrittenSpan.CommonPrefixLength(key);
        }
        else
        {
            restarts.Add(buffer.Length);
            sinceRestart = 0;
        }

        buffer.AppendVarint((ulong)shared);
        buffer.AppendVarint((ulong)(key.Length - shared));
        buffer.AppendVarint((ulong)value.Length);
        buffer.Append(key[shared..]);
        buffer.Append(value);
        lastKey.Clear();
        lastKey.Append(key);
        sinceRestart++;
        EntryCount++;
    }

    /// <summary>Appends the restart array and returns the finished block's bytes.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        foreach (var restart in restarts)
            buffer.AppendUInt32((uint)restart);
        buffer.AppendUInt32((uint)restarts.Count);
        return buffer.WrittenSpan;
    }

    public void Reset()
    {
        buffer.Clear();
        lastKey.Clear();
        restarts.Clear();
        restarts.Add(0);
        sinceRestart = 0;
        EntryCount = 0;
    }
}
