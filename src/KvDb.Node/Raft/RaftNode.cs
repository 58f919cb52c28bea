// Owns this member's Raft machinery: the state machine, DotNext's write-ahead log in the
// data directory, and the RaftCluster speaking DotNext's TCP transport to the peers.
// Invariants:
//  - Start order is restore snapshot -> open WAL (replays committed entries) -> join the
//    cluster, so the member never votes or serves with a state older than its own log.
//  - DotNext 6.12's WAL flushes (msync/fsync) every appended entry before it advances the
//    commit index on this member, and applies only committed entries; one flush covers every
//    entry appended so far (group commit). So "applied here" implies "on this member's disk":
//    the leader answers a write after applying it, a follower after applying it itself.
//  - Stop order is the reverse; the WAL is disposed last so no committed entry is cut short.
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.State;
using KvDb.Node.Configuration;

namespace KvDb.Node.Raft;

/// <summary>This process's Raft member: state machine, log and cluster transport.</summary>
public sealed partial class RaftNode : IHostedService, IAsyncDisposable
{
    /// <summary>Member metadata key carrying the HTTP API URL, so followers can forward to the leader.</summary>
    public const string HttpUrlMetadataKey = "kvdb-http";

    private readonly NodeOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger<RaftNode> logger;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WriteAheadLog? wal;
    private RaftCluster? cluster;
    private int disposed;

    /// <summary>Creates the member; nothing touches the disk or network until <see cref="StartAsync"/>.</summary>
    public RaftNode(NodeOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<RaftNode>();
        var store = new InMemoryKeyValueStore();
        StateMachine = new KvStateMachine(store, new KvStateMachineOptions
        {
            SnapshotDirectory = Path.Combine(options.DataDir, "snapshots"),
            SnapshotInterval = options.SnapshotInterval,
        }, loggerFactory.CreateLogger<KvStateMachine>());
    }

    /// <summary>The replicated state machine.</summary>
    public KvStateMachine StateMachine { get; }

    /// <summary>The Raft cluster; valid once started.</summary>
    public RaftCluster Cluster => cluster ?? throw new InvalidOperationException("The Raft member has not started yet.");

    /// <summary>The Raft log; valid once started.</summary>
    public WriteAheadLog Log => wal ?? throw new InvalidOperationException("The Raft member has not started yet.");

    /// <summary>Completes once the member has joined the cluster.</summary>
    public Task Started => started.Task;

    /// <summary>True once <see cref="StartAsync"/> has finished.</summary>
    public bool IsStarted => started.Task.IsCompletedSuccessfully;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken token)
    {
        StateMachine.Restore();
        wal = new WriteAheadLog(new WriteAheadLog.Options
        {
            Location = Path.Combine(options.DataDir, "raft"),
            HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,

            // The default (one memory page) would make a file per few entries.
            ChunkSize = 4 << 20,
        }, StateMachine);
        await wal.InitializeAsync(token);
        LogReplayed(wal.LastCommittedEntryIndex, StateMachine.AppliedIndex);

        cluster = new RaftCluster(CreateConfiguration()) { AuditTrail = wal };
        cluster.LeaderChanged += OnLeaderChanged;
        foreach (var member in cluster.Members)
            member.MemberStatusChanged += OnMemberStatusChanged;
        await cluster.StartAsync(token);
        LogStarted(options.Id, options.RaftEndPoint, options.AdvertisedHttpUrl, options.Cluster.Count);
        started.TrySetResult();
    }

    private RaftCluster.TcpConfiguration CreateConfiguration()
    {
        var configuration = new RaftCluster.TcpConfiguration(options.RaftEndPoint)
        {
            LowerElectionTimeout = options.ElectionTimeoutMs,
            UpperElectionTimeout = options.ElectionTimeoutMs * 2,
            RequestTimeout = TimeSpan.FromMilliseconds(options.ElectionTimeoutMs),
            ColdStart = false,
            ConfigurationStorage = null,
            LoggerFactory = loggerFactory,
            TransmissionBlockSize = 64 * 1024,
        };
        configuration.Metadata[HttpUrlMetadataKey] = options.AdvertisedHttpUrl;

        // The initial membership is the --cluster list; every member starts from the same one.
        var storage = (InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage!;
        var members = storage.CreateInitialConfigurationBuilder();
        foreach (var peer in options.Cluster)
            members.Add(peer);
        members.Build();
        return configuration;
    }

    /// <summary>The 1-based id of the member at <paramref name="endPoint"/>, or null when unknown.</summary>
    public int? IdOf(EndPoint? endPoint)
    {
        for (var i = 0; i < options.Cluster.Count; i++)
        {
            if (options.Cluster[i].Equals(endPoint))
                return i + 1;
        }

        return null;
    }

    private void OnLeaderChanged(ICluster sender, IClusterMember? leader)
    {
        if (leader is null)
            LogNoLeader(Cluster.Term);
        else if (!leader.IsRemote)
            LogBecameLeader(options.Id, Cluster.Term);
        else
            LogNewLeader(IdOf(leader.EndPoint)?.ToString() ?? "?", leader.EndPoint, Cluster.Term);
    }

    // DotNext logs every failed heartbeat with a stack trace; operators need one line per change.
    private void OnMemberStatusChanged(ClusterMemberStatusChangedEventArgs e)
    {
        var id = IdOf(e.Member.EndPoint)?.ToString() ?? "?";
        if (e.NewStatus is ClusterMemberStatus.Unavailable)
            LogMemberUnreachable(id, e.Member.EndPoint);
        else if (e.NewStatus is ClusterMemberStatus.Available && e.PreviousStatus is ClusterMemberStatus.Unavailable)
            LogMemberReachable(id, e.Member.EndPoint);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken token)
    {
        if (cluster is not null)
        {
            cluster.LeaderChanged -= OnLeaderChanged;
            await cluster.StopAsync(token);
        }

        if (wal is not null)
            await wal.FlushAsync(token);
        LogStopped(options.Id);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // The host may dispose the member twice (RunAsync, then the enclosing 'await using').
        if (Interlocked.Exchange(ref disposed, 1) is not 0)
            return;

        if (cluster is not null)
            await cluster.DisposeAsync();
        if (wal is not null)
            await wal.DisposeAsync();
        await StateMachine.DisposeAsync();
        StateMachine.Store.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Log replayed: committed index {Committed}, applied index {Applied}")]
    private partial void LogReplayed(long committed, long applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} started: Raft on {RaftEndPoint}, HTTP API on {HttpUrl}, {Count} member(s) configured")]
    private partial void LogStarted(int id, EndPoint raftEndPoint, string httpUrl, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} became the leader in term {Term}")]
    private partial void LogBecameLeader(int id, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} ({EndPoint}) is the leader in term {Term}")]
    private partial void LogNewLeader(string id, EndPoint endPoint, long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No leader in term {Term}: waiting for an election (a majority of members must be reachable)")]
    private partial void LogNoLeader(long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Id} ({EndPoint}) is unreachable")]
    private partial void LogMemberUnreachable(string id, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} ({EndPoint}) is reachable again")]
    private partial void LogMemberReachable(string id, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} stopped; the log is flushed")]
    private partial void LogStopped(int id);
}
