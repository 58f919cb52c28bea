// The in-memory sorted buffer that receives every write until it is flushed to a table.
// A skip list keyed by internal key, with keys and values packed into arena chunks.
// Invariants:
//  - Exactly one thread writes (Add, Publish); any number of threads read concurrently
//    without locks. A node is fully built, its forward pointers included, before a release
//    write links it in, so a reader following acquire reads never sees a half-built node.
//  - Nodes and arena bytes are never modified or freed once linked: a reader may hold spans
//    into them for as long as it references the memtable.
//  - Entries are never removed; visibility is decided by sequence (readers pass a snapshot
//    sequence inside the lookup key), which is what makes a whole batch appear at once.
//  - ApproximateBytes counts keys, values and per-node overhead, so the flush trigger tracks
//    the memory actually held.
namespace KvDb.Core.Storage;

internal sealed class Memtable
{
    private const int MaxHeight = 12;
    private const int NodeOverheadBytes = 72;

    private readonly Node head = new([], 0, 0, 0, MaxHeight);
    private readonly Node?[] splice = new Node?[MaxHeight];
    private readonly int chunkBytes;
    private byte[] chunk = [];
    private int chunkUsed;
    private int height = 1;
    private ulong randomState = 0x9E3779B97F4A7C15UL;
    private long approximateBytes;
    private long entryCount;
    private ApplyPoint appliedPoint;

    public Memtable(ApplyPoint start, int chunkBytes)
    {
        StartPoint = start;
        appliedPoint = start;
        this.chunkBytes = chunkBytes;
    }

    /// <summary>The point the engine was at when this memtable became active.</summary>
    public ApplyPoint StartPoint { get; }

    /// <summary>The last whole batch written into this memtable (or StartPoint).</summary>
    public ApplyPoint AppliedPoint => Volatile.Read(ref appliedPoint);

    public long ApproximateBytes => Volatile.Read(ref approximateBytes);

    public long EntryCount => Volatile.Read(ref entryCount);

    /// <summary>True when a batch (even an empty one) was applied since the memtable became active.</summary>
    public bool HasAppliedBatches => AppliedPoint.Index != StartPoint.Index;

    /// <summary>Inserts one entry; invisible to readers until a Publish covers its sequence.</summary>
    public void Add(ulong sequence, EntryKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value)
    {
        var keyLength = InternalKey.EncodedLength(userKey);
        var (owner, offset) = Allocate(keyLength + value.Length);
        var bytes = owner.AsSpan(offset, keyLength + value.Length);
        InternalKey.Write(bytes, userKey, sequence, kind);
        value.CopyTo(bytes[keyLength..]);
        Link(new Node(owner, offset, keyLength, value.Length, RandomHeight()));
        Volatile.Write(ref approximateBytes, approximateBytes + bytes.Length + NodeOverheadBytes);
        Volatile.Write(ref entryCount, entryCount + 1);
    }

    /// <summary>Makes every entry with sequence &lt;= point.Sequence the memtable's reported state.</summary>
    public void Publish(ApplyPoint point) => Volatile.Write(ref appliedPoint, point);

    /// <summary>Finds the newest version of lookupKey's user key with a sequence at most lookupKey's.</summary>
    public LookupResult TryGet(ReadOnlySpan<byte> lookupKey, out ReadOnlySpan<byte> value)
    {
        value = default;
        var node = FindGreaterOrEqual(lookupKey, null);
        if (node is null || !InternalKey.UserKey(node.Key).SequenceEqual(InternalKey.UserKey(lookupKey)))
            return LookupResult.NotFound;
        if (InternalKey.Kind(node.Key) == EntryKind.Delete)
            return LookupResult.Deleted;
        value = node.Value;
        return LookupResult.Found;
    }

    public InternalIterator NewIterator() => new Iterator(this);

    private (byte[] Owner, int Offset) Allocate(int size)
    {
        // Big entries get their own array so a chunk is never mostly wasted.
        if (size > chunkBytes / 4)
            return (new byte[size], 0);
        if (chunkUsed + size > chunk.Length)
        {
            chunk = new byte[chunkBytes];
            chunkUsed = 0;
        }

        var offset = chunkUsed;
        chunkUsed += size;
        return (chunk, offset);
    }

    private void Link(Node node)
    {
        FindGreaterOrEqual(node.Key, splice);
        var currentHeight = height;
        for (var level = currentHeight; level < node.Height; level++)
            splice[level] = head;
        for (var level = 0; level < node.Height; level++)
        {
            node.Next[level] = splice[level]!.Next[level];
            Volatile.Write(ref splice[level]!.Next[level], node);
        }

        if (node.Height > currentHeight)
            Volatile.Write(ref height, node.Height);
    }

    /// <summary>The first node >= key; fills <paramref name="predecessors"/> per level when given.</summary>
    private Node? FindGreaterOrEqual(ReadOnlySpan<byte> key, Node?[]? predecessors)
    {
        var x = head;
        for (var level = Volatile.Read(ref height) - 1; ; level--)
        {
            var next = Volatile.Read(ref x.Next[level]);
            while (next is not null && InternalKey.Compare(next.Key, key) < 0)
            {
                x = next;
                next = Volatile.Read(ref x.Next[level]);
            }

            if (predecessors is not null)
                predecessors[level] = x;
            if (level == 0)
                return next;
        }
    }

    private int RandomHeight()
    {
        var h = 1;
        while (h < MaxHeight && (NextRandom() & 3) == 0)
            h++;
        return h;
    }

    private ulong NextRandom()
    {
        randomState ^= randomState << 13;
        randomState ^= randomState >> 7;
        randomState ^= randomState << 17;
        return randomState;
    }

    private sealed class Node(byte[] owner, int offset, int keyLength, int valueLength, int height)
    {
        public readonly Node?[] Next = new Node?[height];

        public int Height => Next.Length;

        public ReadOnlySpan<byte> Key => owner.AsSpan(offset, keyLength);

        public ReadOnlySpan<byte> Value => owner.AsSpan(offset + keyLength, valueLength);
    }

    private sealed class Iterator(Memtable table) : InternalIterator
    {
        private Node? current;

        public override bool Valid => current is not null;

        public override ReadOnlySpan<byte> Key => current!.Key;

        public override ReadOnlySpan<byte> Value => current!.Value;

        public override void SeekToFirst() => current = Volatile.Read(ref table.head.Next[0]);

        public override void Seek(ReadOnlySpan<byte> target) => current = table.FindGreaterOrEqual(target, null);

        public override void Next() => current = Volatile.Read(ref current!.Next[0]);
    }
}
