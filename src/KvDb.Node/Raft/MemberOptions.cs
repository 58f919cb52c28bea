// Who this member is and the settings every feature shares: its id and URLs, the initial
// members, where its data lives, how long a request may wait for the cluster, and the change
// history's window. Bound once from the flags by the composition root; features take
// IOptions<MemberOptions> (or their own options) and never the whole command line.
namespace KvDb.Node.Raft;

/// <summary>Member-wide options.</summary>
public sealed class MemberOptions
{
    /// <summary>This member's id (--id).</summary>
    public int Id { get; set; } = 1;

    /// <summary>This member's Raft peer URL.</summary>
    public string PeerUrl { get; set; } = "";

    /// <summary>This member's client URL, as other members and clients reach it.</summary>
    public string AdvertisedHttpUrl { get; set; } = "";

    /// <summary>The peer URLs of the initial members in id order (--cluster).</summary>
    public IReadOnlyList<string> ClusterUrls { get; set; } = [];

    /// <summary>Whether this member joins an existing cluster (--join) instead of forming one.</summary>
    public bool Join { get; set; }

    /// <summary>The data directory (--data-dir; a temporary one with --in-memory).</summary>
    public string DataDir { get; set; } = "";

    /// <summary>Whether nothing is kept after the member stops (--in-memory).</summary>
    public bool InMemory { get; set; }

    /// <summary>How long a request may wait for a leader, a quorum or a commit (--request-timeout).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the change history keeps changes (--watch-history).</summary>
    public TimeSpan WatchHistory { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The newest revisions the change history keeps however old (--watch-history-floor).</summary>
    public long WatchHistoryFloor { get; set; } = 100_000;
}
