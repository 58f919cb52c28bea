// The durable state at the latest flush point, pinned so it can be streamed to another member.
// Invariants:
//  - Holds a reference on one TableSet: its tables cannot be deleted by compaction (or a
//    checkpoint install) until this checkpoint is disposed.
//  - The archive it writes is self-describing and verifiable (CheckpointArchive.cs); it may be
//    written any number of times, concurrently with writes to the engine.
namespace KvDb.Core.Storage;

/// <summary>
/// The files of the engine's latest flush point and the Raft position they cover, pinned until
/// disposed. Stream it with <see cref="WriteToAsync"/>; the receiver calls
/// <see cref="StorageEngine.InstallCheckpointAsync"/>.
/// </summary>
public sealed class StorageCheckpoint : IDisposable
{
    private readonly byte[] manifest;
    private TableSet? version;

    internal StorageCheckpoint(TableSet version, byte[] manifest)
    {
        this.version = version;
        this.manifest = manifest;
        Index = version.Durable.Index;
        Term = version.Durable.Term;
        TableCount = version.TableCount;
        Length = CheckpointArchive.Length(version, manifest.Length);
    }

    /// <summary>The Raft index the checkpoint covers.</summary>
    public long Index { get; }

    /// <summary>The Raft term of the entry at <see cref="Index"/>.</summary>
    public long Term { get; }

    /// <summary>The number of tables in the checkpoint.</summary>
    public int TableCount { get; }

    /// <summary>The exact number of bytes <see cref="WriteToAsync"/> writes.</summary>
    public long Length { get; }

    /// <summary>Streams the checkpoint as one archive: manifest, then every table, each with its length and CRC32.</summary>
    public Task WriteToAsync(Stream destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var pinned = version;
        ObjectDisposedException.ThrowIf(pinned is null, this);
        return CheckpointArchive.WriteAsync(destination, pinned, manifest, token);
    }

    /// <summary>Unpins the files.</summary>
    public void Dispose() => Interlocked.Exchange(ref version, null)?.Release();
}
