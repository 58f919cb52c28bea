// Writes one immutable sorted table file (format in TableFormat.cs).
// Invariants:
//  - Entries are added in strictly increasing InternalKey order.
//  - Finish writes filter, index and footer, then fsyncs the file before returning, so a
//    table that a manifest names is always complete on disk. A builder disposed without
//    Finish deletes its partial file.
//  - The file is created with CreateNew: a builder never overwrites an existing table.
using System.IO.Hashing;

namespace KvDb.Core.Storage;

/// <summary>What a finished table holds, as recorded in the manifest.</summary>
internal sealed record TableFileInfo(long Size, long EntryCount, byte[] Smallest, byte[] Largest);

internal sealed class TableBuilder : IDisposable
{
    private readonly string path;
    private readonly StorageOptions options;
    private readonly FileStream file;
    private readonly BlockBuilder dataBlock;
    private readonly BlockBuilder indexBlock = new(restartInterval: 1);
    private readonly List<ulong> keyHashes = [];
    private readonly GrowableBuffer lastKey = new(64);
    private readonly GrowableBuffer handleScratch = new(BlockHandle.MaxEncodedLength);
    private readonly byte[] trailer = new byte[TableFormat.BlockTrailerLength];
    private byte[]? smallest;
    private BlockHandle pendingHandle;
    private bool hasPendingIndexEntry;
    private long offset;
    private bool finished;

    public TableBuilder(string path, StorageOptions options)
    {
        this.path = path;
        this.options = options;
        dataBlock = new BlockBuilder(options.BlockRestartInterval);
        file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
    }

    public long EntryCount { get; private set; }

    /// <summary>The file size so far, counting the open data block.</summary>
    public long EstimatedFileSize => offset + dataBlock.EstimatedSize;

    public string Path => path;

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        if (hasPendingIndexEntry)
            AddIndexEntry(InternalKey.Separator(lastKey.WrittenSpan, internalKey));
        smallest ??= internalKey.ToArray();
        if (options.BloomBitsPerKey > 0 && !IsSameUserKeyAsLast(internalKey))
            keyHashes.Add(BloomFilter.Hash(InternalKey.UserKey(internalKey)));
        dataBlock.Add(internalKey, value);
        lastKey.Clear();
        lastKey.Append(internalKey);
        EntryCount++;
        if (dataBlock.EstimatedSize >= options.BlockSize)
            FlushDataBlock();
    }

    /// <summary>Completes the file and makes it durable.</summary>
    public TableFileInfo Finish()
    {
        if (EntryCount == 0)
            throw new InvalidOperationException("A table needs at least one entry.");
        FlushDataBlock();
        if (hasPendingIndexEntry)
            AddIndexEntry(lastKey.WrittenSpan);
        var filterHandle = options.BloomBitsPerKey > 0
            ? WriteBlock(BloomFilter.Build(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keyHashes), options.BloomBitsPerKey))
            : new BlockHandle(0, 0);
        var indexHandle = WriteBlock(indexBlock.Finish());
        Span<byte> footer = stackalloc byte[Footer.Length];
        new Footer(indexHandle, filterHandle, EntryCount).WriteTo(footer);
        file.Write(footer);
        offset += Footer.Length;
        file.Flush(flushToDisk: true);
        file.Dispose();
        finished = true;
        return new TableFileInfo(offset, EntryCount, smallest!, lastKey.WrittenSpan.ToArray());
    }

    /// <summary>Closes the file; deletes it unless Finish completed.</summary>
    public void Dispose()
    {
        if (finished)
            return;
        finished = true;
        file.Dispose();
        File.Delete(path);
    }

    private bool IsSameUserKeyAsLast(ReadOnlySpan<byte> internalKey)
        => lastKey.Length > 0 && InternalKey.UserKey(lastKey.WrittenSpan).SequenceEqual(InternalKey.UserKey(internalKey));

    private void FlushDataBlock()
    {
        if (dataBlock.IsEmpty)
            return;
        pendingHandle = WriteBlock(dataBlock.Finish());
        dataBlock.Reset();
        hasPendingIndexEntry = true;
    }

    private void AddIndexEntry(ReadOnlySpan<byte> separator)
    {
        handleScratch.Clear();
        pendingHandle.EncodeTo(handleScratch);
        indexBlock.Add(separator, handleScratch.WrittenSpan);
        hasPendingIndexEntry = false;
    }

    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents)
    {
        var handle = new BlockHandle(offset, contents.Length);
        file.Write(contents);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.HashToUInt32(contents));
        file.Write(trailer);
        offset += contents.Length + TableFormat.BlockTrailerLength;
        return handle;
    }
}
