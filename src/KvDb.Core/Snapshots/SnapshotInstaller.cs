// Installs a snapshot the leader sent: the Raft message only names the sender's archive
// (SnapshotDescriptor); the archive is fetched and verified in the background, with no Raft
// deadline, and swapped into the engine when the leader retries and finds it staged.
// Invariants:
//  - One fetch at a time; a descriptor for another flush point replaces an older fetch, and a
//    failed fetch is started again on the leader's next attempt.
//  - The engine changes only in InstallAsync, atomically (old or new state, never a mix), and
//    only with an archive verified block by block and holding exactly the named index and term.
//  - Until the archive is staged, an attempt ends within InstallWait with SnapshotNotReadyException,
//    which DotNext reports to the leader as a failed install that it retries.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Storage;
using Microsoft.Extensions.Logging;

namespace KvDb.Core.Snapshots;

/// <summary>Fetches, stages and installs snapshots sent by the leader.</summary>
public sealed partial class SnapshotInstaller(StorageEngine engine, SnapshotFetcher? fetcher, TimeSpan installWait, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource lifetime = new();
    private (SnapshotDescriptor For, Task<StagedCheckpoint> Task)? fetch;

    /// <summary>
    /// Installs the snapshot <paramref name="entry"/> names once its archive is staged, after
    /// <paramref name="beforeInstall"/> (the state machine's flush in progress) has ended.
    /// Called by the applier only, so never concurrently.
    /// </summary>
    /// <returns>The installed state's Raft index.</returns>
    /// <exception cref="SnapshotNotReadyException">The archive is still being fetched or was lost; the leader retries.</exception>
    public async ValueTask<long> InstallAsync(LogEntry entry, Task beforeInstall, CancellationToken token)
    {
        var descriptor = await ReadDescriptorAsync(entry, token).ConfigureAwait(false);
        var staging = StartOrJoinFetch(descriptor);
        await Task.WhenAny(staging, Task.Delay(installWait, token)).ConfigureAwait(false);
        if (!staging.IsCompletedSuccessfully)
        {
            throw new SnapshotNotReadyException(
                $"Fetching the snapshot at index {descriptor.Index} ({descriptor.ArchiveLength} bytes) from {descriptor.SourceUrl}; it is installed when the leader retries.");
        }

        await beforeInstall.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        fetch = null;
        try
        {
            await engine.InstallStagedAsync(staging.Result).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // Staged over or discarded meanwhile: fetch again on the leader's next attempt.
            throw new SnapshotNotReadyException($"The staged snapshot at index {descriptor.Index} is gone ({e.Message}); fetching it again.");
        }

        LogInstalled(engine.AppliedIndex, descriptor.ArchiveLength, descriptor.SourceUrl);
        return engine.AppliedIndex;
    }

    private static async Task<SnapshotDescriptor> ReadDescriptorAsync(LogEntry entry, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        await entry.WriteToAsync(IAsyncBinaryWriter.Create(buffer, new byte[4096]), token).ConfigureAwait(false);
        return SnapshotDescriptor.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    private Task<StagedCheckpoint> StartOrJoinFetch(SnapshotDescriptor descriptor)
    {
        if (fetch is { } current && current.For == descriptor && !current.Task.IsFaulted && !current.Task.IsCanceled)
            return current.Task;

        var task = FetchAndStageAsync(descriptor);
        fetch = (descriptor, task);
        return task;
    }

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "One line per snapshot installed from the leader; reading a stopwatch is nothing beside fetching the archive.")]
    private async Task<StagedCheckpoint> FetchAndStageAsync(SnapshotDescriptor descriptor)
    {
        if (fetcher is null)
            throw new InvalidOperationException("This member cannot fetch snapshots (no fetcher configured).");

        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var archive = await fetcher(descriptor, lifetime.Token).ConfigureAwait(false);
            var staged = await engine.StageCheckpointAsync(archive, lifetime.Token).ConfigureAwait(false);
            if (staged.Index != descriptor.Index || staged.Term != descriptor.Term)
            {
                staged.Dispose();
                throw new InvalidDataException($"The archive fetched for index {descriptor.Index} holds index {staged.Index}.");
            }

            LogFetched(descriptor.Index, descriptor.ArchiveLength, descriptor.SourceUrl, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return staged;
        }
        catch (Exception e) when (!lifetime.IsCancellationRequested)
        {
            LogFetchFailed(descriptor.Index, descriptor.SourceUrl, e.Message);
            throw;
        }
    }

    /// <summary>Cancels a fetch in progress and discards what it staged.</summary>
    public async ValueTask DisposeAsync()
    {
        if (lifetime.IsCancellationRequested)
            return;
        await lifetime.CancelAsync().ConfigureAwait(false);
        if (fetch is { } pending)
        {
            await ((Task)pending.Task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (pending.Task.IsCompletedSuccessfully)
                pending.Task.Result.Dispose();
        }

        lifetime.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the snapshot at index {Index} ({Bytes} bytes) from {Source} in {Seconds:F1} s; installing it on the leader's next attempt")]
    private partial void LogFetched(long index, long bytes, string source, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching the snapshot at index {Index} from {Source} failed ({Reason}); the leader will send it again")]
    private partial void LogFetchFailed(long index, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot installed from the leader at index {Index} ({Bytes} bytes, from {Source})")]
    private partial void LogInstalled(long index, long bytes, string source);
}
