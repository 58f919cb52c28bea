// The replicated state machine: applies committed log entries to the storage engine, and
// offers DotNext the engine's flush points as snapshots.
// Invariants:
//  - The Raft log is the engine's write-ahead log. Entries apply to the engine's memtable; a
//    flush makes them durable and becomes the snapshot. DotNext compacts the log only up to
//    the snapshot, and after a restart replays the log from it: nothing committed is lost and
//    nothing is replayed from further back than the last flush.
//  - Every entry, with or without commands, advances the engine's applied index, so the
//    snapshot index follows the log exactly.
//  - DotNext never calls ApplyAsync concurrently. Flushes run in the background (started here
//    every SnapshotInterval entries, or by the engine when its memtable is full) and never
//    block applying except through the engine's own back-pressure.
//  - Installing a snapshot replaces the engine's state atomically (old or new, never a mix).
//  - An entry whose payload cannot be decoded stops the member (the exception reaches the
//    WAL, which stops applying): skipping it would silently fork this replica.
using System.IO.Pipelines;
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

    /// <summary>A pause before each entry is applied, to make replicas visibly lag (an experiment knob).</summary>
    public TimeSpan ApplyDelay { get; init; }
}

/// <summary>Applies committed kvdb commands to the storage engine; a DotNext <see cref="IStateMachine"/>.</summary>
public sealed partial class KvStateMachine : IStateMachine, IAsyncDisposable
{
    private readonly StorageEngine engine;
    private readonly EngineKeyValueStore store;
    private readonly CommandExecutor executor;
    private readonly KvStateMachineOptions options;
    private readonly ILogger logger;
    private readonly StoreBatch noCommands = new();
    private readonly Lock publishing = new();
    private CheckpointSnapshot? snapshot;
    private Task flushing = Task.CompletedTask;
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
            PublishSnapshot();
    }

    /// <summary>The store this machine writes to; read it for local (possibly stale) reads.</summary>
    public IKeyValueStore Store => store;

    /// <summary>The storage engine underneath.</summary>
    public StorageEngine Engine => engine;

    /// <summary>The Raft index of the last applied entry.</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The index of the current snapshot (the engine's last flush point), or 0.</summary>
    public long SnapshotIndex => Volatile.Read(ref snapshot)?.Index ?? 0L;

    /// <summary>Raised after each entry is applied, on the applier's thread; keep handlers short.</summary>
    public event Action<long>? Applied;

    /// <summary>Raised for each change an applied entry makes to the membership map, on the applier's thread.</summary>
    public event Action<MembershipChange>? MembershipChanged;

    /// <summary>DotNext's storage of the Raft configuration, to save configuration entries replayed at start-up.</summary>
    public IClusterConfigurationStorage? ConfigurationStorage { get; set; }

    /// <inheritdoc/>
    ISnapshot? ISnapshotManager.Snapshot => Volatile.Read(ref snapshot);

    /// <inheritdoc/>
    public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.Index <= appliedIndex)
            return ValueTask.FromResult(appliedIndex);

        if (entry.IsSnapshot)
            return InstallSnapshotAsync(entry, token);

        return options.ApplyDelay > TimeSpan.Zero || entry.IsConfiguration
            ? ApplyEntryAsync(entry, token)
            : ValueTask.FromResult(ApplyCommands(entry));
    }

    private async ValueTask<long> ApplyEntryAsync(LogEntry entry, CancellationToken token)
    {
        if (options.ApplyDelay > TimeSpan.Zero)
            await Task.Delay(options.ApplyDelay, token).ConfigureAwait(false);

        // DotNext saves configuration entries to its configuration storage itself once the
        // cluster has attached the storage to the log; entries replayed before that (at
        // start-up) arrive here with their payload and are saved here instead.
        if (entry.IsConfiguration && ConfigurationStorage is { } storage && entry.TryGetPayload(out var configuration) && !configuration.IsEmpty)
            await storage.SaveConfigurationAsync(entry, entry.Index, token).ConfigureAwait(false);

        return ApplyCommands(entry);
    }

    private long ApplyCommands(in LogEntry entry)
    {
        // Entries without commands (a new leader's no-op, configuration changes handled by
        // DotNext) still advance the engine, so its flush points follow the log exactly.
        if (entry.TryGetPayload(out var payload) && !payload.IsEmpty && !entry.IsConfiguration)
        {
            var (proposedAt, commands) = LogEntryCodec.Decode(payload);
            var context = entry.Context as ProposalContext;
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

        flushing = Task.Run(FlushInBackground);
    }

    private void FlushInBackground()
    {
        try
        {
            engine.Flush();
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
            PublishSnapshot();
    }

    // Pins the engine's latest flush point as the snapshot DotNext sees, and lets the previous
    // one go once no transfer uses it.
    private void PublishSnapshot()
    {
        lock (publishing)
        {
            if (Volatile.Read(ref disposed) is not 0 || engine.DurableIndex <= (snapshot?.Index ?? 0))
                return;

            var next = new CheckpointSnapshot(engine.OpenCheckpoint());
            var previous = snapshot;
            Volatile.Write(ref snapshot, next);
            previous?.Release();
            LogSnapshotTaken(next.Index, next.Length ?? 0L);
        }
    }

    private async ValueTask<long> InstallSnapshotAsync(LogEntry entry, CancellationToken token)
    {
        await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // DotNext pushes the snapshot's bytes to a writer; the engine pulls from a stream.
        var pipe = new Pipe();
        var install = engine.InstallCheckpointAsync(pipe.Reader.AsStream(), token);
        try
        {
            await entry.WriteToAsync(IAsyncBinaryWriter.Create(pipe.Writer.AsStream(leaveOpen: true), new byte[64 * 1024]), token).ConfigureAwait(false);
            await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
            await install.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await install.ConfigureAwait(false);
        PublishSnapshot();
        Volatile.Write(ref appliedIndex, engine.AppliedIndex);
        LogSnapshotInstalled(engine.AppliedIndex, entry.Length ?? 0L);
        Applied?.Invoke(engine.AppliedIndex);
        return engine.AppliedIndex;
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
        await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (publishing)
        {
            snapshot?.Release();
            snapshot = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at index {Index} ({Bytes} bytes of tables): the log before it can be compacted")]
    private partial void LogSnapshotTaken(long index, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot installed from the leader at index {Index} ({Bytes} bytes)")]
    private partial void LogSnapshotInstalled(long index, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Flushing the storage engine failed; the log keeps everything until a later flush succeeds")]
    private partial void LogFlushFailed(Exception exception);
}
