// The Raft snapshot DotNext sees: the storage engine's files at a flush point. It is what the
// log may be compacted up to (everything at or below its index is durable in the engine), what
// a restart resumes from, and what a lagging member is sent.
// Invariants:
//  - Its content is exactly the state at Index: the checkpoint is pinned when the snapshot is
//    created, so compaction cannot change or delete the files it names.
//  - It stays pinned while it is the current snapshot or a transfer of it is running, and is
//    released once neither holds (reference counted).
using System.IO.Pipelines;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Storage;

namespace KvDb.Core.State;

/// <summary>A pinned storage-engine checkpoint exposed as a DotNext <see cref="ISnapshot"/>.</summary>
public sealed class CheckpointSnapshot : ISnapshot
{
    private readonly StorageCheckpoint checkpoint;
    private int references = 1;

    /// <summary>Wraps <paramref name="checkpoint"/>; the snapshot owns it from now on.</summary>
    public CheckpointSnapshot(StorageCheckpoint checkpoint)
    {
        this.checkpoint = checkpoint;
        Timestamp = DateTimeOffset.UtcNow;
    }

    /// <inheritdoc/>
    public long Index => checkpoint.Index;

    /// <inheritdoc/>
    public long Term => checkpoint.Term;

    /// <inheritdoc/>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc/>
    public long? Length => checkpoint.Length;

    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>
    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        if (!TryAcquire())
            throw new InvalidOperationException($"The snapshot at index {Index} was replaced by a newer one; send that instead.");

        try
        {
            // The checkpoint writes to a stream and DotNext's writer is pushed to: a pipe joins them.
            var pipe = new Pipe();
            var produce = WriteArchiveAsync(pipe.Writer, token);
            await writer.CopyFromAsync(pipe.Reader.AsStream(), count: null, token).ConfigureAwait(false);
            await produce.ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
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
            throw;
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
