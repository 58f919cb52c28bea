// The replicated state machine: applies committed log entries to the storage engine, and
// offers DotNext the engine's flush points as snapshots (SnapshotPublisher chooses which;
// SnapshotInstaller installs the leader's).
// Invariants:
//  - The Raft log is the engine's write-ahead log. Entries apply to the engine's memtable; a
//    flush makes them durable and pins that flush point. DotNext compacts the log only up to
//    the published snapshot, and after a restart replays the log from it (entries the engine
//    already holds are skipped): nothing committed is lost.
//  - Every entry, with or without commands, advances the engine's applied index, so flush
//    points follow the log exactly.
//  - DotNext never calls ApplyAsync concurrently. Flushes run in the background (started here
//    every SnapshotInterval entries, or by the engine when its memtable is full).
//  - Nothing here blocks DotNext's applier thread: when the engine must wait for a flush or a
//    compaction before the next write (a write stall), ApplyAsync awaits room first; flushes
//    and installs await the engine instead of waiting on it.
//  - An entry whose payload cannot be decoded stops the member (the exception reaches the
//    WAL, which stops applying): skipping it would silently fork this replica.
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.Snapshots;
using KvDb.Core.Storage;
using KvDb.Core.Watch;
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

    /// <summary>A pause after a snapshot from the leader is installed, before the install returns (an experiment knob: a slow disk).</summary>
    public TimeSpan InstallAnswerDelay { get; init; }

    /// <summary>How long the change history keeps changes (the newest ChangeHistory.Floor revisions are kept regardless).</summary>
    public TimeSpan HistoryWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How many of the newest revisions the change history keeps however old.</summary>
    public long HistoryFloor { get; init; } = Watch.ChangeHistory.DefaultFloor;

    /// <summary>About how many bytes of keys and values the in-memory tail of the change history holds.</summary>
    public long RecentChangesBytes { get; init; } = RecentChanges.DefaultMaxBytes;

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
    private readonly StorageEngine engine;
    private readonly EngineKeyValueStore store;
    private readonly CommandExecutor executor;
    private readonly KvStateMachineOptions options;
    private readonly ILogger logger;
    private readonly StoreBatch noCommands = new();
    private readonly SnapshotPublisher publisher;
    private readonly SnapshotInstaller installer;
    private Task flushing = Task.CompletedTask;
    private CommandResult[] scratchResults = new CommandResult[64];
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
        executor = new CommandExecutor(store, options.HistoryWindow, options.HistoryFloor);
        appliedIndex = engine.AppliedIndex;
        publisher = new SnapshotPublisher(engine, options.AdvertisedUrl, options.CatchUpEntries ?? options.SnapshotInterval / 2, () => AppliedIndex, logger);
        installer = new SnapshotInstaller(engine, options.Fetcher, options.InstallWait, logger);
        Recent = new RecentChanges(appliedIndex, CompactedRevision(), options.RecentChangesBytes);
        executor.Leases.Reload(store);
    }

    /// <summary>The leases of the applied state.</summary>
    public KvDb.Core.Leases.LeaseTable Leases => executor.Leases;

    /// <summary>The newest change records, in memory, for watchers that keep up.</summary>
    public RecentChanges Recent { get; }

    private long CompactedRevision()
    {
        using var view = store.OpenView();
        return ChangeHistory.CompactedRevision(view);
    }

    /// <summary>The store this machine writes to; read it for local (possibly stale) reads.</summary>
    public IKeyValueStore Store => store;

    /// <summary>The storage engine underneath.</summary>
    public StorageEngine Engine => engine;

    /// <summary>The Raft index of the last applied entry.</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The index of the published snapshot (what the log may be compacted to), or 0.</summary>
    public long SnapshotIndex => publisher.Index;

    /// <summary>Raised after each entry is applied, on the applier's thread; keep handlers short.</summary>
    public event Action<long>? Applied;

    /// <summary>
    /// Raised when a committed entry cannot be applied (its index and the error). DotNext stops
    /// applying for good after that, so the owner should stop the member: a restart replays the
    /// log from the last flush instead of serving a state that no longer follows the log.
    /// </summary>
    public event Action<long, Exception>? ApplyFailed;

    /// <summary>Raised after an entry appended to a list (keyspace, key, its next offset), on the applier's thread; keep handlers short.</summary>
    public event Action<string, byte[], long>? ListAppended;

    /// <summary>Raised for each change an applied entry makes to the membership map, on the applier's thread.</summary>
    public event Action<MembershipChange>? MembershipChanged;

    /// <summary>
    /// Raised on the applier's thread after an entry changed the membership map or a member's
    /// advertised release, and after a snapshot was installed; readers recompute the cluster version.
    /// </summary>
    public event Action? MembersChanged;

    /// <summary>
    /// Raised on the applier's thread after an entry changed users, roles or auth settings, and
    /// after a snapshot was installed (which may change anything); readers reload the auth state.
    /// </summary>
    public event Action? AuthChanged;

    /// <summary>DotNext's storage of the Raft configuration, to save configuration entries replayed at start-up.</summary>
    public IClusterConfigurationStorage? ConfigurationStorage { get; set; }

    /// <inheritdoc/>
    ISnapshot? ISnapshotManager.Snapshot => publisher.Published;

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
            // Entries proposed elsewhere have no context: their results go to a reused scratch array.
            if (context is null && scratchResults.Length < commands.Length)
                scratchResults = new CommandResult[commands.Length];
            var results = context is null ? scratchResults.AsSpan(0, commands.Length) : context.Results;
            using var traced = context is not null && context.Trace != default ? ApplyTracing.StartApply(context.Trace, entry.Index, commands.Length) : null;
            executor.Execute(entry.Index, entry.Term, proposedAt, commands, results);
            Recent.Add(entry.Index, executor.Recorded, executor.Forgotten);
            if (context is not null)
                context.Index = entry.Index;
            foreach (var change in executor.MembershipChanges)
                MembershipChanged?.Invoke(change);
            if (executor.MembershipChanges.Count > 0 || executor.ReleasesChanged)
                MembersChanged?.Invoke();
            if (executor.AuthChanged)
                AuthChanged?.Invoke();
            foreach (var (keyspace, key, next) in executor.ListAppends)
                ListAppended?.Invoke(keyspace, key, next);
        }
        else
        {
            store.Write(entry.Index, entry.Term, noCommands);
            Recent.Add(entry.Index, null, 0);
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

    /// <summary>
    /// Streams the archive of the published snapshot if it is at <paramref name="index"/>
    /// (for a member fetching it); null when that snapshot is no longer published.
    /// </summary>
    public Stream? OpenSnapshotArchive(long index, CancellationToken token) => publisher.OpenArchive(index, token);

    private async ValueTask<long> InstallSnapshotAsync(LogEntry entry, CancellationToken token)
    {
        var index = await installer.InstallAsync(entry, flushing, token).ConfigureAwait(false);

        // The WAL takes the snapshot's index as committed right after this returns, and the
        // log no longer holds the state before it: publish it at once.
        publisher.PinNewest(publishNow: true);
        // Nothing here reads the store: DotNext waits on this install, and a store read right
        // after it stalled the member under load. The tail starts empty (the history it
        // covers is in the installed store) and the lease table reloads when next read.
        Recent.Reset(index, 0);
        executor.Leases.Invalidate(store);
        Volatile.Write(ref appliedIndex, index);
        AuthChanged?.Invoke();
        MembersChanged?.Invoke();
        Applied?.Invoke(index);
        if (options.InstallAnswerDelay > TimeSpan.Zero)
        {
            // Not cancellable: the point is an answer that comes after the leader stopped waiting.
            await Task.Delay(options.InstallAnswerDelay, CancellationToken.None).ConfigureAwait(false);
        }

        return index;
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

        await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await installer.DisposeAsync().ConfigureAwait(false);
        await publisher.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Flushing the storage engine failed; the log keeps everything until a later flush succeeds")]
    private partial void LogFlushFailed(Exception exception);
}
