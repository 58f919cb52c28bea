// The Raft snapshot DotNext sees: a storage-engine checkpoint (the engine's files at a flush
// point). It is what the log may be compacted up to, what a restart resumes from, and what a
// lagging member is sent: as a SnapshotDescriptor in the Raft message, the archive itself over
// HTTP (see SnapshotDescriptor for why).
// Invariants:
//  - Its content is exactly the state at Index: the checkpoint is pinned when the snapshot is
//    created, so compaction cannot change or delete the files it names.
//  - It stays pinned while the state machine holds it or an archive of it is being sent, and is
//    released once neither does (reference counted).
using System.IO.Pipelines;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Storage;

namespace KvDb.Core.Snapshots;

/// <summary>A pinned storage-engine checkpoint exposed as a DotNext <see cref="ISnapshot"/>.</summary>
public sealed class CheckpointSnapshot : ISnapshot
{
    private readonly StorageCheckpoint checkpoint;
    private readonly byte[] descriptor;
    private int references = 1;

    /// <summary>Wraps <paramref name="checkpoint"/>, which the snapshot owns from now on; <paramref name="sourceUrl"/> serves its archive.</summary>
    public CheckpointSnapshot(StorageCheckpoint checkpoint, string sourceUrl)
    {
        this.checkpoint = checkpoint;
        descriptor = new SnapshotDescriptor(checkpoint.Index, checkpoint.Term, checkpoint.Length, sourceUrl).Encode();
        Timestamp = DateTimeOffset.UtcNow;
    }

    /// <inheritdoc/>
    public long Index => checkpoint.Index;

    /// <inheritdoc/>
    public long Term => checkpoint.Term;

    /// <inheritdoc/>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The length of the checkpoint's archive.</summary>
    public long ArchiveLength => checkpoint.Length;

    /// <inheritdoc/>
    public long? Length => descriptor.Length;

    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>
    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
        => writer.Invoke(descriptor, token);

    /// <summary>
    /// Streams the archive, or returns null when the snapshot was released (a newer one replaced it).
    /// The checkpoint stays pinned until the returned stream is read to the end or disposed.
    /// </summary>
    public Stream? OpenArchive(CancellationToken token)
    {
        if (!TryAcquire())
            return null;

        // The checkpoint writes to a stream and the caller reads from one: a pipe joins them.
        var pipe = new Pipe();
        _ = WriteArchiveAsync(pipe.Writer, token);
        return pipe.Reader.AsStream();
    }

    private async Task WriteArchiveAsync(PipeWriter destination, CancellationToken token)
    {
        try
        {
            await checkpoint.WriteToAsync(destination.AsStream(leaveOpen: true), token).ConfigureAwait(false);
            await destination.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await destination.CompleteAsync(e).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    private bool TryAcquire()
    {
        for (var count = Volatile.Read(ref references); count > 0; count = Volatile.Read(ref references))
        {
            if (Interlocked.CompareExchange(ref references, count + 1, count) == count)
                return true;
        }

        return false;
    }

    /// <summary>Drops one reference; the last one unpins the checkpoint's files.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
            checkpoint.Dispose();
    }
}
