// The replicated state machine: applies committed log entries to an IKeyValueStore and
// keeps snapshots so the Raft log can be truncated.
// Invariants:
//  - DotNext never calls ApplyAsync concurrently; snapshots are written in the background
//    from a point-in-time view, so applying never waits for disk except when installing.
//  - 'Snapshot' only ever names a complete, fsynced file, whose index is <= AppliedIndex.
//    Once exposed, the log before it may be deleted by the WAL, so the file is kept until
//    the WAL reclaims it in favour of a newer one.
//  - An entry whose payload cannot be decoded stops the member (the exception reaches the
//    WAL, which stops applying): skipping it would silently fork this replica.
using System.Buffers;
using KvDb.Core.Commands;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace KvDb.Core.State;

/// <summary>Options of <see cref="KvStateMachine"/>.</summary>
public sealed class KvStateMachineOptions
{
    /// <summary>The directory snapshots are kept in.</summary>
    public required string SnapshotDirectory { get; init; }

    /// <summary>How many applied entries trigger a new snapshot.</summary>
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

/// <summary>Applies committed kvdb commands to a key-value store; a DotNext <see cref="IStateMachine"/>.</summary>
public sealed partial class KvStateMachine : IStateMachine, IAsyncDisposable
{
    private readonly IKeyValueStore store;
    private readonly CommandExecutor executor;
    private readonly KvStateMachineOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource lifetime = new();
    private volatile SnapshotFile? snapshot;
    private Task snapshotting = Task.CompletedTask;
    private long appliedIndex;
    private int disposed;

    /// <summary>Creates a state machine over <paramref name="store"/>.</summary>
    public KvStateMachine(IKeyValueStore store, KvStateMachineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        this.store = store;
        executor = new CommandExecutor(store);
        this.options = options;
        this.logger = logger;
        Directory.CreateDirectory(options.SnapshotDirectory);
    }

    /// <summary>The store this machine writes to; read it for local (possibly stale) reads.</summary>
    public IKeyValueStore Store => store;

    /// <summary>The Raft index of the last applied entry.</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The index of the newest durable snapshot, or 0.</summary>
    public long SnapshotIndex => snapshot?.Index ?? 0L;

    /// <summary>Raised after each entry is applied, on the applier's thread; keep handlers short.</summary>
    public event Action<long>? Applied;

    /// <summary>Raised for each change an applied entry makes to the membership map, on the applier's thread.</summary>
    public event Action<MembershipChange>? MembershipChanged;

    /// <summary>DotNext's storage of the Raft configuration, to save configuration entries replayed at start-up.</summary>
    public IClusterConfigurationStorage? ConfigurationStorage { get; set; }

    /// <inheritdoc/>
    ISnapshot? ISnapshotManager.Snapshot => snapshot;

    /// <summary>Loads the newest snapshot on disk. Call before the WAL is created.</summary>
    /// <exception cref="InvalidDataException">The newest snapshot is corrupted; its path is in the message.</exception>
    public void Restore()
    {
        SnapshotFile.DeleteTemporaryFiles(options.SnapshotDirectory);
        if (SnapshotFile.List(options.SnapshotDirectory).FirstOrDefault() is not { } newest)
            return;

        store.Restore(newest.Index, newest.ReadRecords());
        snapshot = newest;
        Volatile.Write(ref appliedIndex, newest.Index);
        LogRestored(newest.Index, newest.Path);
    }

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
        // Entries without a payload are the no-ops a new leader appends and configuration
        // changes handled by DotNext; they still advance the applied index.
        if (entry.TryGetPayload(out var payload) && !payload.IsEmpty && !entry.IsConfiguration)
        {
            var (proposedAt, commands) = LogEntryCodec.Decode(payload);
            var context = entry.Context as ProposalContext;
            var results = context?.Results ?? (commands.Length <= 64 ? stackalloc CommandResult[commands.Length] : new CommandResult[commands.Length]);
            executor.Execute(entry.Index, proposedAt, commands, results);
            if (context is not null)
                context.Index = entry.Index;
            foreach (var change in executor.MembershipChanges)
                MembershipChanged?.Invoke(change);
        }

        Volatile.Write(ref appliedIndex, entry.Index);
        Applied?.Invoke(entry.Index);
        MaybeStartSnapshot(entry.Index, entry.Term);
        return entry.Index;
    }

    private void MaybeStartSnapshot(long index, long term)
    {
        if (index - SnapshotIndex < options.SnapshotInterval || !snapshotting.IsCompleted)
            return;

        var view = store.OpenView();
        snapshotting = Task.Run(() => TakeSnapshotAsync(view, term));
    }

    private async Task TakeSnapshotAsync(IKeyValueView view, long term)
    {
        using (view)
        {
            try
            {
                var file = await SnapshotFile.WriteAsync(options.SnapshotDirectory, view, term, lifetime.Token).ConfigureAwait(false);
                snapshot = file;
                LogSnapshotTaken(file.Index, file.Length ?? 0L);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // The log keeps growing until a later snapshot succeeds; nothing is lost.
                LogSnapshotFailed(e, view.Index);
            }
        }
    }

    private async ValueTask<long> InstallSnapshotAsync(LogEntry entry, CancellationToken token)
    {
        await snapshotting.ConfigureAwait(false);
        var file = await SnapshotFile.ReceiveAsync(options.SnapshotDirectory, entry.Index, entry.Term, CopyAsync, token)
            .ConfigureAwait(false);
        store.Restore(entry.Index, file.ReadRecords());
        snapshot = file;
        Volatile.Write(ref appliedIndex, entry.Index);
        LogSnapshotInstalled(entry.Index, file.Length ?? 0L);
        Applied?.Invoke(entry.Index);
        return entry.Index;

        ValueTask CopyAsync(Stream destination, CancellationToken t)
            => entry.WriteToAsync(IAsyncBinaryWriter.Create(destination, new byte[64 * 1024]), t);
    }

    /// <inheritdoc/>
    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token)
    {
        foreach (var old in SnapshotFile.List(options.SnapshotDirectory))
        {
            if (old.Index < watermark)
                old.Delete();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // The host may dispose the member twice (RunAsync, then the enclosing 'await using').
        if (Interlocked.Exchange(ref disposed, 1) is not 0)
            return;

        await lifetime.CancelAsync().ConfigureAwait(false);
        await snapshotting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lifetime.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored state from snapshot at index {Index} ({Path})")]
    private partial void LogRestored(long index, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot taken at index {Index} ({Bytes} bytes); the log before it can be compacted")]
    private partial void LogSnapshotTaken(long index, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot installed from the leader at index {Index} ({Bytes} bytes)")]
    private partial void LogSnapshotInstalled(long index, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Taking a snapshot at index {Index} failed")]
    private partial void LogSnapshotFailed(Exception exception, long index);
}
