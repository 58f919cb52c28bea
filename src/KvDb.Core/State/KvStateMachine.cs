// The replicated state machine: applies committed log entries to the storage engine, and
// offers DotNext the engine's flush points as snapshots.
// Invariants:
//  - The Raft log is the engine's write-ahead log. Entries apply to the engine's memtable; a
//    flush makes them durable and pins that flush point. DotNext compacts the log only up to
//    the published snapshot, and after a restart replays the log from it (entries the engine
//    already holds are skipped): nothing committed is lost.
//  - The published snapshot lags the newest flush point by about CatchUpEntries, so a follower
//    that is a little behind catches up from the log instead of needing a whole snapshot.
//  - Every entry, with or without commands, advances the engine's applied index, so flush
//    points follow the log exactly.
//  - DotNext never calls ApplyAsync concurrently. Flushes run in the background (started here
//    every SnapshotInterval entries, or by the engine when its memtable is full).
//  - Nothing here blocks DotNext's applier thread: when the engine must wait for a flush or a
//    compaction before the next write (a write stall), ApplyAsync awaits room first; flushes
//    and installs await the engine instead of waiting on it.
//  - Installing a snapshot: the Raft message names the sender's archive; it is fetched and
//    verified in the background (no Raft deadline), and swapped in atomically (old or new
//    state, never a mix) when the leader retries and finds it staged.
//  - An entry whose payload cannot be decoded stops the member (the exception reaches the
//    WAL, which stops applying): skipping it would silently fork this replica.
using System.Diagnostics;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.Storage;
using Microsoft.Extensions.Logging;

namespace KvDb.Core.State;

/// <summary>Options of <see cref="KvStateMachine"/>.</summary>
public sealed class KvStateMachineOptions
{
    /// <summary>Applied entries after which a flush (a new snapshot) is started, even if the memtable is not full.</summary>
    public long SnapshotInterval
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2L);
            field = value;
        }
    } = 10_000;

    /// <summary>How many entries the log keeps beyond the snapshot for followers that lag a little (default: half the interval).</summary>
    public long? CatchUpEntries { get; init; }

    /// <summary>A pause before each entry is applied, to make replicas visibly lag (an experiment knob).</summary>
    public TimeSpan ApplyDelay { get; init; }

    /// <summary>The base URL other members fetch this member's snapshots from.</summary>
    public string AdvertisedUrl { get; init; } = "";

    /// <summary>Fetches a snapshot archive from the member a descriptor names.</summary>
    public SnapshotFetcher? Fetcher { get; init; }

    /// <summary>How long an install attempt waits for a fetch it started before asking the leader to retry.</summary>
    public TimeSpan InstallWait { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>Applies committed kvdb commands to the storage engine; a DotNext <see cref="IStateMachine"/>.</summary>
public sealed partial class KvStateMachine : IStateMachine, IAsyncDisposable
{
    private const int MaxPinnedFlushPoints = 4;

    private readonly StorageEngine engine;
    private readonly EngineKeyValueStore store;
    private readonly CommandExecutor executor;
    private readonly KvStateMachineOptions options;
    private readonly ILogger logger;
    private readonly StoreBatch noCommands = new();
    private readonly Lock snapshots = new();
    private readonly List<CheckpointSnapshot> pinned = [];
    private readonly CancellationTokenSource lifetime = new();
    private readonly Timer republisher;
    private CheckpointSnapshot? published;
    private Task flushing = Task.CompletedTask;
    private (SnapshotDescriptor For, Task<StagedCheckpoint> Task)? fetch;
    private long appliedIndex;
    private int disposed;

    /// <summary>Creates the state machine over an opened engine, whose durable state it starts from.</summary>
    public KvStateMachine(StorageEngine engine, KvStateMachineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        this.engine = engine;
        this.options = options;
        this.logger = logger;
        store = new EngineKeyValueStore(engine);
        executor = new CommandExecutor(store);
        appliedIndex = engine.AppliedIndex;
        engine.Flushed += OnFlushed;
        if (engine.DurableIndex > 0)
            PinFlushPoint(publishNow: true);

        // Publication also advances while no flush happens (a quiet cluster after a burst).
        republisher = new Timer(static state => ((KvStateMachine)state!).Republish(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The store this machine writes to; read it for local (possibly stale) reads.</summary>
    public IKeyValueStore Store => store;

    /// <summary>The storage engine underneath.</summary>
    public StorageEngine Engine => engine;

    /// <summary>The Raft index of the last applied entry.</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The index of the published snapshot (what the log may be compacted to), or 0.</summary>
    public long SnapshotIndex => Volatile.Read(ref published)?.Index ?? 0L;

    private long CatchUpEntries => options.CatchUpEntries ?? options.SnapshotInterval / 2;

    /// <summary>Raised after each entry is applied, on the applier's thread; keep handlers short.</summary>
    public event Action<long>? Applied;

    /// <summary>
    /// Raised when a committed entry cannot be applied (its index and the error). DotNext stops
    /// applying for good after that, so the owner should stop the member: a restart replays the
    /// log from the last flush instead of serving a state that no longer follows the log.
    /// </summary>
    public event Action<long, Exception>? ApplyFailed;

    /// <summary>Raised for each change an applied entry makes to the membership map, on the applier's thread.</summary>
    public event Action<MembershipChange>? MembershipChanged;

    /// <summary>DotNext's storage of the Raft configuration, to save configuration entries replayed at start-up.</summary>
    public IClusterConfigurationStorage? ConfigurationStorage { get; set; }

    /// <inheritdoc/>
    ISnapshot? ISnapshotManager.Snapshot => Volatile.Read(ref published);

    /// <inheritdoc/>
    public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.Index <= appliedIndex)
            return ValueTask.FromResult(appliedIndex);

        if (entry.IsSnapshot)
            return InstallSnapshotAsync(entry, token);

        return options.ApplyDelay > TimeSpan.Zero || entry.IsConfiguration || engine.MustWaitForRoom
            ? ApplyEntryAsync(entry, token)
            : ApplyNow(entry);
    }

    private ValueTask<long> ApplyNow(in LogEntry entry)
    {
        try
        {
            return ValueTask.FromResult(ApplyCommands(entry));
        }
        catch (Exception e)
        {
            ApplyFailed?.Invoke(entry.Index, e);
            throw;
        }
    }

    private async ValueTask<long> ApplyEntryAsync(LogEntry entry, CancellationToken token)
    {
        try
        {
            if (options.ApplyDelay > TimeSpan.Zero)
                await Task.Delay(options.ApplyDelay, token).ConfigureAwait(false);

            // This is the only writer, so once there is room the apply below does not wait.
            await engine.WaitForWriteRoomAsync(token).ConfigureAwait(false);

            // DotNext saves configuration entries to its configuration storage itself once the
            // cluster has attached the storage to the log; entries replayed before that (at
            // start-up) arrive here with their payload and are saved here instead.
            if (entry.IsConfiguration && ConfigurationStorage is { } storage && entry.TryGetPayload(out var configuration) && !configuration.IsEmpty)
                await storage.SaveConfigurationAsync(entry, entry.Index, token).ConfigureAwait(false);

            return ApplyCommands(entry);
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            ApplyFailed?.Invoke(entry.Index, e);
            throw;
        }
    }

    private long ApplyCommands(in LogEntry entry)
    {
        // Entries without commands (a new leader's no-op, configuration changes handled by
        // DotNext) still advance the engine, so its flush points follow the log exactly.
        if (entry.TryGetPayload(out var payload) && !payload.IsEmpty && !entry.IsConfiguration)
        {
            var (proposedAt, commands) = LogEntryCodec.Decode(payload);
            var context = entry.Context is ProposalContext proposal && proposal.Describes(entry.Term, commands.Length) ? proposal : null;
            var results = context?.Results ?? (commands.Length <= 64 ? stackalloc CommandResult[commands.Length] : new CommandResult[commands.Length]);
            executor.Execute(entry.Index, entry.Term, proposedAt, commands, results);
            if (context is not null)
                context.Index = entry.Index;
            foreach (var change in executor.MembershipChanges)
                MembershipChanged?.Invoke(change);
        }
        else
        {
            store.Write(entry.Index, entry.Term, noCommands);
        }

        Volatile.Write(ref appliedIndex, entry.Index);
        Applied?.Invoke(entry.Index);
        MaybeStartFlush(entry.Index);
        return entry.Index;
    }

    private void MaybeStartFlush(long index)
    {
        if (index - engine.DurableIndex < options.SnapshotInterval || !flushing.IsCompleted)
            return;

        flushing = FlushInBackgroundAsync();
    }

    private async Task FlushInBackgroundAsync()
    {
        try
        {
            // Off the applier: the flush itself runs on the engine's background worker.
            await Task.Yield();
            await engine.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The log keeps everything until a later flush succeeds; nothing is lost.
            LogFlushFailed(e);
        }
    }

    private void OnFlushed(long durableIndex)
    {
        if (Volatile.Read(ref disposed) is 0)
            PinFlushPoint(publishNow: false);
    }

    // Pins the engine's newest flush point; publishing it waits until it is CatchUpEntries old.
    private void PinFlushPoint(bool publishNow)
    {
        lock (snapshots)
        {
            if (Volatile.Read(ref disposed) is not 0)
                return;
            if (engine.DurableIndex > ((pinned.Count > 0 ? pinned[^1] : published)?.Index ?? 0))
                pinned.Add(new CheckpointSnapshot(engine.OpenCheckpoint(), options.AdvertisedUrl));
            AdvancePublication(publishNow);
        }
    }

    private void Republish()
    {
        lock (snapshots)
        {
            if (Volatile.Read(ref disposed) is 0)
                AdvancePublication(publishNow: false);
        }
    }

    // Publishes the newest pinned flush point that is at least CatchUpEntries behind what is
    // applied (or the newest of all when forced, or when too many are pinned), and lets older
    // ones go once no transfer uses them.
    private void AdvancePublication(bool publishNow)
    {
        var choice = -1;
        for (var i = 0; i < pinned.Count; i++)
        {
            if (publishNow || pinned.Count - i > MaxPinnedFlushPoints || pinned[i].Index <= AppliedIndex - CatchUpEntries)
                choice = i;
        }

        if (choice < 0)
            return;

        var next = pinned[choice];
        pinned.RemoveRange(0, choice + 1);
        var previous = published;
        Volatile.Write(ref published, next);
        previous?.Release();
        LogSnapshotTaken(next.Index, next.ArchiveLength);
    }

    /// <summary>
    /// Streams the archive of the published snapshot if it is at <paramref name="index"/>
    /// (for a member fetching it); null when that snapshot is no longer published.
    /// </summary>
    public Stream? OpenSnapshotArchive(long index, CancellationToken token)
    {
        lock (snapshots)
        {
            var snapshot = published?.Index == index ? published : pinned.Find(p => p.Index == index);
            return snapshot?.OpenArchive(token);
        }
    }

    private async ValueTask<long> InstallSnapshotAsync(LogEntry entry, CancellationToken token)
    {
        var descriptor = await ReadDescriptorAsync(entry, token).ConfigureAwait(false);
        var staging = StartOrJoinFetch(descriptor);
        await Task.WhenAny(staging, Task.Delay(options.InstallWait, token)).ConfigureAwait(false);
        if (!staging.IsCompletedSuccessfully)
        {
            throw new SnapshotNotReadyException(
                $"Fetching the snapshot at index {descriptor.Index} ({descriptor.ArchiveLength} bytes) from {descriptor.SourceUrl}; it is installed when the leader retries.");
        }

        var staged = staging.Result;
        await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        fetch = null;
        try
        {
            await engine.InstallStagedAsync(staged).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // Staged over or discarded meanwhile: fetch again on the leader's next attempt.
            throw new SnapshotNotReadyException($"The staged snapshot at index {descriptor.Index} is gone ({e.Message}); fetching it again.");
        }

        // The WAL takes the snapshot's index as committed right after this returns.
        PinFlushPoint(publishNow: true);
        Volatile.Write(ref appliedIndex, engine.AppliedIndex);
        LogSnapshotInstalled(engine.AppliedIndex, descriptor.ArchiveLength, descriptor.SourceUrl);
        Applied?.Invoke(engine.AppliedIndex);
        return engine.AppliedIndex;
    }

    private static async Task<SnapshotDescriptor> ReadDescriptorAsync(LogEntry entry, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        await entry.WriteToAsync(IAsyncBinaryWriter.Create(buffer, new byte[4096]), token).ConfigureAwait(false);
        return SnapshotDescriptor.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    // One fetch at a time; a descriptor for another flush point replaces an older fetch.
    private Task<StagedCheckpoint> StartOrJoinFetch(SnapshotDescriptor descriptor)
    {
        if (fetch is { } current && current.For == descriptor && !current.Task.IsFaulted && !current.Task.IsCanceled)
            return current.Task;

        var task = FetchAndStageAsync(descriptor);
        fetch = (descriptor, task);
        return task;
    }

    private async Task<StagedCheckpoint> FetchAndStageAsync(SnapshotDescriptor descriptor)
    {
        if (options.Fetcher is not { } fetcher)
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

            LogSnapshotFetched(descriptor.Index, descriptor.ArchiveLength, descriptor.SourceUrl, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return staged;
        }
        catch (Exception e) when (!lifetime.IsCancellationRequested)
        {
            LogSnapshotFetchFailed(descriptor.Index, descriptor.SourceUrl, e.Message);
            throw;
        }
    }

    /// <inheritdoc/>
    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token)
    {
        // The engine owns its files; older snapshots are released as newer ones are published.
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // The host may dispose the member twice (RunAsync, then the enclosing 'await using').
        if (Interlocked.Exchange(ref disposed, 1) is not 0)
            return;

        engine.Flushed -= OnFlushed;
        await republisher.DisposeAsync().ConfigureAwait(false);
        await lifetime.CancelAsync().ConfigureAwait(false);
        await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (fetch is { } pending)
        {
            await ((Task)pending.Task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (pending.Task.IsCompletedSuccessfully)
                pending.Task.Result.Dispose();
        }

        lock (snapshots)
        {
            published?.Release();
            published = null;
            pinned.ForEach(static p => p.Release());
            pinned.Clear();
        }

        lifetime.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at index {Index} ({Bytes} bytes of tables): the log before it can be compacted")]
    private partial void LogSnapshotTaken(long index, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the snapshot at index {Index} ({Bytes} bytes) from {Source} in {Seconds:F1} s; installing it on the leader's next attempt")]
    private partial void LogSnapshotFetched(long index, long bytes, string source, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching the snapshot at index {Index} from {Source} failed ({Reason}); the leader will send it again")]
    private partial void LogSnapshotFetchFailed(long index, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot installed from the leader at index {Index} ({Bytes} bytes, from {Source})")]
    private partial void LogSnapshotInstalled(long index, long bytes, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flushing the storage engine failed; the log keeps everything until a later flush succeeds")]
    private partial void LogFlushFailed(Exception exception);
}
