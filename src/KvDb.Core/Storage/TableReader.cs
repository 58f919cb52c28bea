// Reads one immutable table file: point lookups through the Bloom filter, index and data
// blocks, and iterators for scans and compaction.
// Invariants:
//  - Opening reads only the footer, the index block and the filter block (all verified), so
//    opening many tables is cheap; data blocks are verified when first read.
//  - Every block passes its CRC before use; a short read, a mismatch or a malformed block
//    throws StorageCorruptionException naming this file. Wrong data is never returned.
//  - Reads are positional (RandomAccess), so any number of threads may read concurrently.
//  - Blocks go through the shared BlockCache under this reader's unique CacheId, which is
//    never reused, so a replaced file can never be served stale blocks.
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace KvDb.Core.Storage;

internal sealed class TableReader : IDisposable
{
    private const int FilterCharge = 64;
    private static long lastCacheId;

    [ThreadStatic]
    private static LookupScratch? scratch;

    private readonly SafeFileHandle handle;
    private readonly BlockCache cache;
    private readonly Footer footer;

    private TableReader(string path, SafeFileHandle handle, BlockCache cache, Footer footer, long length)
    {
        Path = path;
        this.handle = handle;
        this.cache = cache;
        this.footer = footer;
        FileLength = length;
        CacheId = Interlocked.Increment(ref lastCacheId);
    }

    public string Path { get; }

    public long CacheId { get; }

    public long FileLength { get; }

    public long EntryCount => footer.EntryCount;

    /// <summary>Opens and checks a table; <paramref name="expectedLength"/> &lt; 0 skips the size check.</summary>
    public static TableReader Open(string path, long expectedLength, BlockCache cache, bool verifyAllBlocks)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        }
        catch (FileNotFoundException e)
        {
            throw new StorageCorruptionException(path, "table file is missing", e);
        }

        try
        {
            var reader = OpenChecked(path, handle, expectedLength, cache);
            if (verifyAllBlocks)
                reader.VerifyAllBlocks();
            return reader;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public LookupResult TryGet(ReadOnlySpan<byte> lookupKey, ulong userKeyHash, out byte[]? value)
    {
        value = null;
        if (footer.Filter.Size > 0 && !BloomFilter.MayContain(ReadFilter(fillCache: true), userKeyHash))
            return LookupResult.NotFound;
        var local = scratch ??= new LookupScratch();
        var index = local.Index.Reset(ReadBlock(footer.Index, fillCache: true));
        index.Seek(lookupKey);
        if (!index.Valid)
            return LookupResult.NotFound;
        var data = local.Data.Reset(ReadBlock(DecodeHandle(index.Value), fillCache: true));
        data.Seek(lookupKey);
        if (!data.Valid || !InternalKey.UserKey(data.Key).SequenceEqual(InternalKey.UserKey(lookupKey)))
            return LookupResult.NotFound;
        if (InternalKey.Kind(data.Key) == EntryKind.Delete)
            return LookupResult.Deleted;
        value = data.Value.ToArray();
        return LookupResult.Found;
    }

    /// <summary>An iterator over every entry; compaction passes fillCache false to keep the cache for readers.</summary>
    public InternalIterator NewIterator(bool fillCache) => new TableIterator(this, fillCache);

    internal Block ReadIndexBlock(bool fillCache) => ReadBlock(footer.Index, fillCache);

    internal BlockHandle DecodeHandle(ReadOnlySpan<byte> encoded)
    {
        if (!BlockHandle.TryDecode(encoded, out var decoded) || !decoded.FitsBefore(FileLength - Footer.Length))
            throw new StorageCorruptionException(Path, "index entry points outside the file");
        return decoded;
    }

    internal Block ReadBlock(BlockHandle block, bool fillCache)
    {
        if (cache.TryGet(CacheId, block.Offset, out var cached))
            return (Block)cached!;
        var loaded = new Block(ReadVerified(block), block.Size, Path);
        if (fillCache)
            cache.Insert(CacheId, block.Offset, loaded, loaded.Charge);
        return loaded;
    }

    /// <summary>Reads every data block once, verifying checksums and structure.</summary>
    public void VerifyAllBlocks()
    {
        var index = new BlockIterator().Reset(ReadIndexBlock(fillCache: false));
        var data = new BlockIterator();
        for (index.SeekToFirst(); index.Valid; index.Next())
        {
            var handle = DecodeHandle(index.Value);
            data.Reset(new Block(ReadVerified(handle), handle.Size, Path));
            for (data.SeekToFirst(); data.Valid; data.Next())
            {
                if (!InternalKey.IsWellFormed(data.Key))
                    throw new StorageCorruptionException(Path, "malformed internal key");
            }
        }
    }

    /// <summary>Copies the raw file to <paramref name="destination"/>, for checkpoints.</summary>
    public async Task CopyToAsync(Stream destination, Crc32 checksum, CancellationToken token)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            for (long position = 0; position < FileLength;)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, FileLength - position)), position, token).ConfigureAwait(false);
                if (read == 0)
                    throw new StorageCorruptionException(Path, "file shrank while being copied");
                checksum.Append(buffer.AsSpan(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                position += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => handle.Dispose();

    private static TableReader OpenChecked(string path, SafeFileHandle handle, long expectedLength, BlockCache cache)
    {
        var length = RandomAccess.GetLength(handle);
        if (expectedLength >= 0 && length != expectedLength)
            throw new StorageCorruptionException(path, $"file is {length} bytes but the manifest says {expectedLength} (truncated or overwritten)");
        if (length < Footer.Length)
            throw new StorageCorruptionException(path, "file is shorter than a footer");
        Span<byte> footerBytes = stackalloc byte[Footer.Length];
        ReadExactly(path, handle, footerBytes, length - Footer.Length);
        var reader = new TableReader(path, handle, cache, Footer.Read(footerBytes, length, path), length);
        reader.ReadIndexBlock(fillCache: true);
        if (reader.footer.Filter.Size > 0)
            reader.ReadFilter(fillCache: true);
        return reader;
    }

    private ReadOnlySpan<byte> ReadFilter(bool fillCache)
    {
        if (cache.TryGet(CacheId, footer.Filter.Offset, out var cached))
            return ((byte[])cached!).AsSpan(0, footer.Filter.Size);
        var bytes = ReadVerified(footer.Filter);
        if (fillCache)
            cache.Insert(CacheId, footer.Filter.Offset, bytes, bytes.Length + FilterCharge);
        return bytes.AsSpan(0, footer.Filter.Size);
    }

    /// <summary>Reads a block and its trailer; the block's bytes are [0, Size) of the result.</summary>
    private byte[] ReadVerified(BlockHandle block)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(block.Size + TableFormat.BlockTrailerLength);
        ReadExactly(Path, handle, buffer, block.Offset);
        var contents = buffer.AsSpan(0, block.Size);
        if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(block.Size)) != Crc32.HashToUInt32(contents))
            throw new StorageCorruptionException(Path, $"checksum mismatch in block at offset {block.Offset}");
        return buffer;
    }

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> buffer, long position)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, position);
            if (read == 0)
                throw new StorageCorruptionException(path, $"unexpected end of file at offset {position}");
            buffer = buffer[read..];
            position += read;
        }
    }

    /// <summary>Per-thread iterators so a point lookup allocates nothing but its result.</summary>
    private sealed class LookupScratch
    {
        public BlockIterator Index { get; } = new();

        public BlockIterator Data { get; } = new();
    }
}
