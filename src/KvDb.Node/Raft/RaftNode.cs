// Owns this member's Raft machinery: the state machine, DotNext's write-ahead log in the
// data directory, the Raft configuration file, and the Raft member DotNext.AspNetCore.Cluster
// hosts inside this process's Kestrel (consensus messages over HTTP on the peer port).
// Invariants:
//  - Start order is open the storage engine (at its last flush point) -> open the WAL, which
//    replays the committed entries after it -> start the Raft member, so the member never votes
//    or serves with a state older than its own log. DotNext registers its cluster as a hosted
//    service of its own; kvdb takes that registration out and starts the cluster here, after
//    the log (see AddRaftMember).
//  - DotNext 6.12's WAL flushes (msync/fsync) every appended entry before it advances the
//    commit index on this member, and applies only committed entries; one flush covers every
//    entry appended so far (group commit). So "applied here" implies "on this member's disk":
//    the leader answers a write after applying it, a follower after applying it itself.
//  - A follower acknowledges entries appended for the leader only once they are flushed
//    (DurableAppendLog), so every member of a committing majority has the entry on disk.
//  - --cluster only seeds the Raft configuration on a member's first start; afterwards the
//    configuration file (kept current by DotNext as configuration entries apply) wins.
//  - Members are named by their normalised peer URL everywhere (the membership map, DotNext's
//    configuration, logs); no host name is resolved to decide who is who.
//  - A member that applies its own removal after it has been in the Raft configuration, and is still
//    out of the map once it has applied what was known committed then, stops the process with
//    exit code 0; one that finds itself removed at start-up refuses to start. A member removed
//    and added again replays its old removal while being caught up (not yet in the
//    configuration) and carries on.
//  - Stop order is the reverse of start; the WAL is disposed last so no committed entry is
//    cut short.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using DotNext.IO.Log;
using DotNext.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.State;
using KvDb.Core.Storage;
using KvDb.Node.Hosting;
using KvDb.Node.Snapshots;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Raft;

/// <summary>This process's Raft member: state machine, log and the DotNext cluster member.</summary>
public sealed partial class RaftNode : IHostedService, IAsyncDisposable, IRaftMembership
{
    /// <summary>The size of the Raft log's chunk files (raft/data/N).</summary>
    public const int LogChunkSize = 4 << 20;

    /// <summary>Member metadata key carrying the HTTP API URL, so followers can forward to the leader.</summary>
    public const string HttpUrlMetadataKey = IRaftMembership.HttpUrlMetadataKey;

    // When this process first touched RaftNode: after any earlier process of this member died.
    private static readonly long LoadedAt = Stopwatch.GetTimestamp();

    private readonly NodeOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger<RaftNode> logger;
    private readonly IHostApplicationLifetime lifetime;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RaftConfigurationFile configurationFile;
    private readonly SnapshotTransfer snapshotTransfer;
    private readonly IServiceProvider services;
    private KvStateMachine? stateMachine;
    private WriteAheadLog? wal;
    private IRaftCluster? cluster;
    private volatile bool inConfiguration;

    // Whether this process has been in the Raft configuration at any time: a member being caught
    // up after --join has not, and a member that left it (removed) has.
    private volatile bool everInConfiguration;
    private LeadershipMark? leadershipStart;
    private volatile bool leading;
    private HashSet<string>? lastConfiguration;
    private int disposed;

    /// <summary>Creates the member; nothing touches the disk or network until <see cref="StartAsync"/>.</summary>
    /// <remarks>
    /// It takes the service provider because DotNext builds its cluster in a DI factory that
    /// needs the log, which exists only once this member has opened it in <see cref="StartAsync"/>.
    /// </remarks>
    public RaftNode(NodeOptions options, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime, SnapshotTransfer snapshotTransfer, IServiceProvider services)
    {
        this.services = services;
        this.options = options;
        this.snapshotTransfer = snapshotTransfer;
        this.loggerFactory = loggerFactory;
        this.lifetime = lifetime;
        logger = loggerFactory.CreateLogger<RaftNode>();
        configurationFile = new RaftConfigurationFile(Path.Combine(options.DataDir, "raft-configuration"));
    }

    /// <summary>The replicated state machine; valid once started.</summary>
    public KvStateMachine StateMachine => stateMachine ?? throw new InvalidOperationException("The Raft member has not started yet.");

    /// <summary>The Raft cluster; valid once started.</summary>
    public IRaftCluster Cluster => cluster ?? throw new InvalidOperationException("The Raft member has not started yet.");

    /// <summary>The Raft cluster's membership operations by peer URI; valid once started.</summary>
    public IRaftHttpCluster Membership => (IRaftHttpCluster)Cluster;

    /// <summary>The current term.</summary>
    public long Term => Cluster.Term;

    /// <summary>The Raft configuration file; DotNext's cluster reads it through DI.</summary>
    public RaftConfigurationFile ConfigurationFile => configurationFile;

    /// <summary>The Raft log; valid once started.</summary>
    public WriteAheadLog Log => wal ?? throw new InvalidOperationException("The Raft member has not started yet.");

    /// <summary>Completes once the member has started (possibly still waiting to be added, with --join).</summary>
    public Task Started => started.Task;

    /// <summary>True once <see cref="StartAsync"/> has finished.</summary>
    public bool IsStarted => started.Task.IsCompletedSuccessfully;

    /// <summary>True once this member has applied its own removal from the cluster.</summary>
    public bool WasRemoved { get; private set; }

    /// <summary>Why this member stopped applying committed entries, or null while it applies them.</summary>
    public Exception? ApplyFailure { get; private set; }

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The engine opens at its last flush point; a damaged file stops the start here,
        // with its name in the message and what to do, before anything is served.
        StorageEngine engine;
        try
        {
            engine = StorageEngine.Open(Path.Combine(options.DataDir, "db"), new StorageOptions
            {
                MemtableBytes = options.MemoryBudgetBytes / 4,
                BlockCacheBytes = options.MemoryBudgetBytes / 2,
            }, loggerFactory.CreateLogger<StorageEngine>());
        }
        catch (StorageCorruptionException e)
        {
            throw new StartupException(DamagedDataDirectory.Explain(e.Message.TrimEnd('.'), options));
        }

        stateMachine = new KvStateMachine(engine, new KvStateMachineOptions
        {
            SnapshotInterval = options.SnapshotInterval,
            ApplyDelay = options.ThrottleApply,
            InstallAnswerDelay = options.ThrottleSnapshotInstall,
            HistoryWindow = options.WatchHistory,
            HistoryFloor = options.WatchHistoryFloor,
            RecentChangesBytes = options.MemoryBudgetBytes / 8,
            // Archives are served on the peer port, with the other member-to-member calls.
            AdvertisedUrl = options.PeerUrl,
            Fetcher = snapshotTransfer.FetchAsync,
        }, loggerFactory.CreateLogger<KvStateMachine>())
        {
            ConfigurationStorage = configurationFile,
        };

        var restarted = !configurationFile.IsEmpty;
        if (configurationFile.IsEmpty && !options.Join)
            await configurationFile.SeedAsync(options.ClusterUrls.Select(PeerUrl.ToEndPoint), cancellationToken);

        stateMachine.MembershipChanged += OnMembershipChanged;
        stateMachine.ApplyFailed += OnApplyFailed;
        var raftDirectory = Path.Combine(options.DataDir, "raft");
        if (DamagedDataDirectory.CheckUnverifiedFiles(raftDirectory) is { } damage)
            throw new StartupException(DamagedDataDirectory.Explain(damage, options));

        // Before the log is opened: opening it replays committed entries, and a damaged one must
        // stop the member with the start-up check's message, not while it waits here.
        if (restarted)
            await HoldBackForReadLeaseAsync(cancellationToken);

        wal = new DurableAppendLog(new WriteAheadLog.Options
        {
            Location = raftDirectory,
            HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,

            // The default (one memory page) would make a file per few entries.
            ChunkSize = LogChunkSize,
        }, stateMachine);

        cluster = services.GetRequiredService<IRaftCluster>();
        cluster.LeaderChanged += OnLeaderChanged;
        ((IPeerMesh)cluster).PeerDiscovered += OnPeerDiscovered;
        configurationFile.ConfigurationChanged += OnConfigurationChanged;
        foreach (var member in cluster.Members)
            member.MemberStatusChanged += OnMemberStatusChanged;

        // Starting the cluster initialises the log: DotNext verifies the CRC32 of every entry
        // after the snapshot, then replays the committed ones.
        try
        {
            await ((IHostedService)cluster).StartAsync(cancellationToken);
        }
        catch (Exception e) when (IntegrityFailure(e) is { } failure)
        {
            var where = DamagedDataDirectory.Locate(raftDirectory, stateMachine.SnapshotIndex, LogChunkSize)
                ?? $"the Raft log in '{raftDirectory}' failed DotNext's integrity check ({failure.Message})";
            throw new StartupException(DamagedDataDirectory.Explain(where, options));
        }

        LogReplayed(wal.LastCommittedEntryIndex, StateMachine.AppliedIndex);
        RefuseToStartIfRemoved();

        inConfiguration = cluster.Members.Any(static m => !m.IsRemote);
        everInConfiguration = inConfiguration;
        Interlocked.CompareExchange(ref lastConfiguration, [.. cluster.Members.Select(static m => PeerUrl.Of(m.EndPoint) ?? "?")], null);
        LogStarted(options.Id, options.PeerUrl, options.AdvertisedHttpUrl, cluster.Members.Count);
        if (!inConfiguration)
            LogWaitingToBeAdded(options.Id, options.PeerUrl);
        started.TrySetResult();
    }

    // Before it crashed, this member may have acknowledged a heartbeat round that gave the leader
    // a read lease, promising to vote for no one else for an election timeout; DotNext forgets
    // when it last heard from the leader on restart, so wait out the promise before voting.
    private async Task HoldBackForReadLeaseAsync(CancellationToken token)
    {
        if (!options.ReadLease)
            return;

        var left = TimeSpan.FromMilliseconds(options.ElectionTimeoutMs) - Stopwatch.GetElapsedTime(LoadedAt);
        if (left > TimeSpan.Zero)
        {
            LogHoldingBack(options.Id, (long)left.TotalMilliseconds);
            await Task.Delay(left, token);
        }
    }

    /// <summary>Sets up DotNext's Raft member for <paramref name="options"/>.</summary>
    public static void Configure(HttpClusterMemberConfiguration configuration, NodeOptions options)
    {
        configuration.PublicEndPoint = PeerUrl.ToEndPoint(options.PeerUrl).Uri;
        configuration.LowerElectionTimeout = options.ElectionTimeoutMs;

        // DotNext's followers refuse a (pre-)vote until their own randomized timeout has passed
        // since they last heard the leader, so after a leader dies the election completes about
        // when the slower survivor's timer fires: the wider the range, the longer the gap.
        configuration.UpperElectionTimeout = options.ElectionTimeoutMs * 3 / 2;

        // DotNext bounds every Raft request (votes, appends, snapshot messages) by this timeout.
        // A candidate waits for every voter until its own election timeout, so a paused (not
        // crashed) voter must time out before that or no election can succeed.
        configuration.RpcTimeout = TimeSpan.FromMilliseconds(options.ElectionTimeoutMs * 0.9);
        configuration.RequestTimeout = configuration.RpcTimeout;
        configuration.ColdStart = false;
        configuration.Metadata[HttpUrlMetadataKey] = options.AdvertisedHttpUrl;
    }

    // Restarting a removed member would leave it campaigning forever among members that no
    // longer listen to it; say so instead.
    private void RefuseToStartIfRemoved()
    {
        if (options.Join)
            return;

        var members = Members();
        if (members.Count > 0 && IdOf(options.PeerUrl, members) is null)
        {
            throw new StartupException(
                $"this member ({options.PeerUrl}) was removed from the cluster, whose members are now {string.Join(", ", members.Select(m => $"{m.Key}={m.Value}"))}. "
                + $"To add it again: POST its URL to /<id> on a member, then start it with --join and an empty --data-dir.");
        }
    }

    private static IntegrityException? IntegrityFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IntegrityException integrity)
                return integrity;
        }

        return null;
    }

    /// <summary>The replicated membership map (id → peer URL) as applied on this member.</summary>
    public SortedDictionary<int, string> Members()
    {
        using var view = StateMachine.Store.OpenView();
        return MembershipMap.Read(view);
    }

    /// <summary>The id of the member at the Raft endpoint <paramref name="endPoint"/>, or null when unknown.</summary>
    public int? IdOf(EndPoint? endPoint) => PeerUrl.Of(endPoint) is { } url ? IdOf(url, Members()) : null;

    private int? IdOf(string peerUrl, SortedDictionary<int, string> members)
    {
        foreach (var (id, url) in members)
        {
            if (string.Equals(url, peerUrl, StringComparison.Ordinal))
                return id;
        }

        // Before the first leader has recorded the map, ids are positions in --cluster.
        for (var i = 0; members.Count == 0 && i < options.ClusterUrls.Count; i++)
        {
            if (string.Equals(options.ClusterUrls[i], peerUrl, StringComparison.Ordinal))
                return i + 1;
        }

        return null;
    }

    private string Describe(EndPoint endPoint, SortedDictionary<int, string> members)
        => PeerUrl.Of(endPoint) is { } url ? $"{IdOf(url, members)?.ToString() ?? "?"} ({url})" : $"? ({endPoint})";

    // A member removed and added again (same id and URL, --join, an empty data directory) is
    // caught up through the whole log, its own earlier removal included: that entry is history,
    // not news. A removal is news only to a process that has been in the Raft configuration (a
    // member being caught up is not in it yet; the leader removes a member from it only after
    // telling it the removal committed, see MembershipReconciler), and even then the entries
    // already known committed are applied first: if they add this member back, it stays.
    private void OnMembershipChanged(MembershipChange change)
    {
        if (!IsStarted || !change.Removed || !string.Equals(change.PeerUrl, options.PeerUrl, StringComparison.Ordinal))
            return;
        if (!everInConfiguration)
        {
            LogOldRemovalIgnored(change.Id);
            return;
        }

        _ = StopIfStillRemovedAsync(change.Id, wal?.LastCommittedEntryIndex ?? 0);
    }

    private async Task StopIfStillRemovedAsync(int id, long committed)
    {
        // Off the apply loop, which must go on to apply what is committed after the removal.
        await Task.Yield();
        var patience = Stopwatch.StartNew();
        try
        {
            while (StateMachine.AppliedIndex < committed && patience.Elapsed < TimeSpan.FromSeconds(30) && ApplyFailure is null)
                await Task.Delay(20).ConfigureAwait(false);
            if (IdOf(options.PeerUrl, Members()) is not null)
            {
                LogOldRemovalIgnored(id);
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            // Stopping already.
        }

        WasRemoved = true;
        LogRemoved(id);
        lifetime.StopApplication();
    }

    private void OnApplyFailed(long index, Exception error)
    {
        ApplyFailure = error;
        LogApplyFailed(options.Id, index, error);
        lifetime.StopApplication();
    }

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "Configurations change rarely, and DescribeChange also records this one for the next comparison, so it must run whether or not the line is written: an IsEnabled guard would change what the next line says.")]
    private ValueTask OnConfigurationChanged(IClusterConfiguration<UriEndPoint> configuration, CancellationToken token)
    {
        var members = Members();
        var urls = configuration.Members.Select(static ep => PeerUrl.Of(ep) ?? ep.ToString()).ToList();
        var described = urls
            .Select(url => (Id: IdOf(url, members), Url: url))
            .OrderBy(static m => m.Id ?? int.MaxValue)
            .Select(static m => $"{m.Id?.ToString() ?? "?"}={m.Url}");
        LogConfigurationChanged(string.Join(", ", described), DescribeChange(urls, members));
        var nowIn = urls.Contains(options.PeerUrl);
        if (nowIn && !inConfiguration && IsStarted)
            LogAdded(options.Id);
        inConfiguration = nowIn;
        everInConfiguration |= nowIn;
        return ValueTask.CompletedTask;
    }

    // Operators read "became the leader" and "lost leadership" as a pair: log the second when
    // this member led and the leader is now another member or none.
    /// <summary>
    /// The term this member last became leader in and its last log index at that moment (which
    /// covers the no-op a new leader appends). Once that index is committed, the leader's commit
    /// index covers every entry committed by earlier leaders (Raft's ReadIndex precondition).
    /// The term is read while DotNext is still inside its transition to leader (it raises
    /// LeaderChanged there), so it is this leadership's term: the term proposed entries carry.
    /// </summary>
    public (long Term, long Index) LeadershipStart => Volatile.Read(ref leadershipStart) is { } start ? (start.Term, start.Index) : (-1, long.MaxValue);

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "One line per change of leader, an election's worth of time apart at the least.")]
    private void OnLeaderChanged(ICluster sender, IClusterMember? leader)
    {
        var nowLeading = leader is { IsRemote: false };
        if (nowLeading)
            Volatile.Write(ref leadershipStart, new LeadershipMark(Term, Log.LastEntryIndex));
        if (leading && !nowLeading)
            LogLostLeadership(options.Id, Term, leader is null ? "none yet" : $"member {Describe(leader.EndPoint, Members())}");
        leading = nowLeading;

        if (leader is null)
        {
            // Stopping drops leadership too; that is not an operator's concern.
            if (!lifetime.ApplicationStopping.IsCancellationRequested)
                LogNoLeader(Term);
        }
        else if (!leader.IsRemote)
            LogBecameLeader(options.Id, Term);
        else
            LogNewLeader(Describe(leader.EndPoint, Members()), Term);
    }

    // Which voters joined or left since the last configuration this member saw, by id.
    private string DescribeChange(IReadOnlyCollection<string> now, SortedDictionary<int, string> members)
    {
        var previous = lastConfiguration;
        lastConfiguration = [.. now];
        if (previous is null)
            return "first configuration seen";

        var changes = now.Where(url => !previous.Contains(url)).Select(url => $"member {IdOf(url, members)?.ToString() ?? "?"} ({url}) added")
            .Concat(previous.Where(url => !now.Contains(url)).Select(url => $"member {IdOf(url, members)?.ToString() ?? "?"} ({url}) removed"))
            .ToList();
        return changes.Count == 0 ? "unchanged" : string.Join("; ", changes);
    }

    // Members added later get the same one-line reachability logging.
    private void OnPeerDiscovered(IPeerMesh sender, PeerEventArgs e)
    {
        if (((IPeerMesh<IRaftClusterMember>)sender).TryGetPeer(e.PeerAddress) is { } member)
            member.MemberStatusChanged += OnMemberStatusChanged;
    }

    // DotNext logs every failed heartbeat with a stack trace; operators need one line per change.
    private void OnMemberStatusChanged(ClusterMemberStatusChangedEventArgs e)
    {
        var member = Describe(e.Member.EndPoint, Members());
        if (e.NewStatus is ClusterMemberStatus.Unavailable)
            LogMemberUnreachable(member);
        else if (e.NewStatus is ClusterMemberStatus.Available && e.PreviousStatus is ClusterMemberStatus.Unavailable)
            LogMemberReachable(member);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (cluster is not null)
        {
            cluster.LeaderChanged -= OnLeaderChanged;
            await ((IHostedService)cluster).StopAsync(cancellationToken);
        }

        if (wal is not null)
            await wal.FlushAsync(cancellationToken);
        LogStopped(options.Id);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // The host may dispose the member twice (RunAsync, then the enclosing 'await using').
        if (Interlocked.Exchange(ref disposed, 1) is not 0)
            return;

        if (cluster is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        if (wal is not null)
            await wal.DisposeAsync();
        if (stateMachine is not null)
        {
            await stateMachine.DisposeAsync();
            await stateMachine.Engine.DisposeAsync();
        }

        configurationFile.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} restarted: waiting {Milliseconds} ms before it joins in, so a read lease it acknowledged before has expired (--read-lease)")]
    private partial void LogHoldingBack(int id, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log replayed: committed index {Committed}, applied index {Applied}")]
    private partial void LogReplayed(long committed, long applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} started: peers on {PeerUrl}, HTTP API on {HttpUrl}, {Count} member(s) in the Raft configuration")]
    private partial void LogStarted(int id, string peerUrl, string httpUrl, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} is waiting to be added to a cluster (--join): on any member run  curl -XPOST http://<member>/{Id} -d {PeerUrl}")]
    private partial void LogWaitingToBeAdded(int id, string peerUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} was added to the cluster; it now serves reads and writes")]
    private partial void LogAdded(int id);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Member {Id} cannot apply committed entry {Index}; stopping (a restart replays the log from the last flush)")]
    private partial void LogApplyFailed(int id, long index, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id}: applied an earlier removal of this member, which a later entry undid (it was added again); carrying on")]
    private partial void LogOldRemovalIgnored(int id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} was removed from the cluster; shutting down")]
    private partial void LogRemoved(int id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Raft configuration is now: {Members} ({Change})")]
    private partial void LogConfigurationChanged(string members, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} became the leader in term {Term}")]
    private partial void LogBecameLeader(int id, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} lost leadership in term {Term} (new leader: {NewLeader})")]
    private partial void LogLostLeadership(int id, long term, string newLeader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} is the leader in term {Term}")]
    private partial void LogNewLeader(string member, long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No leader in term {Term}: waiting for an election (a majority of members must be reachable)")]
    private partial void LogNoLeader(long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Member} is unreachable")]
    private partial void LogMemberUnreachable(string member);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} is reachable again")]
    private partial void LogMemberReachable(string member);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} stopped; the log is flushed")]
    private partial void LogStopped(int id);
}

internal sealed record LeadershipMark(long Term, long Index);

/// <summary>The member cannot start for a reason the operator must fix; the message says which.</summary>
public sealed class StartupException(string message) : Exception(message);
