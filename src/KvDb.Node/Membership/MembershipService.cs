// The membership operations behind the REST API: record a member in (or remove it from) the
// replicated membership map through Raft, and describe the members.
// Invariants:
//  - The map is changed only through the log (SetMember/RemoveMember), so every member
//    agrees on it; conflicts are decided when the entry is applied, not by the caller.
//  - An add answers "added" once this member sees the new member in the Raft configuration,
//    and "pending" when it is not running yet: the leader adds it as soon as it is reachable.
//  - One removal at a time: a member taken out of the map still votes until the leader takes
//    it out of the Raft configuration (a removed leader stops first and its successor does it).
//    Removing another member in that window could stop a second voter while the configuration
//    still counts both (2 of 4 voters: no majority, for good). The log decides: a removal
//    carries the map and the voters this member saw (after a read barrier), and applying it
//    refuses it when another change applied in between or a removed member still votes, so
//    two removals sent to two members at once cannot both pass, and one that arrives while a
//    removed member still votes is refused (409, naming it): retry once it has left.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Core.Commands;
using KvDb.Core.Membership;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using KvDb.Node.Reads;
using KvDb.Node.Writes;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Membership;

/// <summary>What became of a membership request.</summary>
public enum MembershipOutcome
{
    /// <summary>Done: the member is in the Raft configuration (add) or out of the map (remove).</summary>
    Done,

    /// <summary>Recorded; the member joins once it runs with --join and the leader has caught it up.</summary>
    Pending,

    /// <summary>No such member.</summary>
    NotFound,

    /// <summary>The id or URL belongs to another member, or the last member would be removed.</summary>
    Conflict,

    /// <summary>Another membership change is under way or was applied first; nothing changed.</summary>
    ChangeInProgress,
}

/// <summary>One member as shown by <c>GET /v1/members</c>.</summary>
public sealed record MemberView(int Id, string PeerUrl, string? HttpUrl, string Role, bool Reachable)
{
    /// <summary>The release it advertised (see ClusterVersion), or null when it advertised none (it counts as the oldest).</summary>
    public string? Version { get; init; }

    /// <summary>The member as GET /v1/members (and /v1/status) answers it.</summary>
    public KvDb.Contracts.MemberJson ToContract() => new() { Id = Id, PeerUrl = PeerUrl, HttpUrl = HttpUrl, Role = Role, Reachable = Reachable, Version = Version };
}

/// <summary>Adds, removes and lists members.</summary>
public sealed partial class MembershipService(IRaftMembership node, LocalState state, IProposer proposer, IReadBarrier barrier, ClusterVersionGate clusterVersion, IOptions<MemberOptions> memberOptions, ILogger<MembershipService> logger)
{
    /// <summary>
    /// Records the initial members (ids 1..N from --cluster) if no member is recorded yet. The
    /// first leader does this; a membership request arriving earlier does it first too.
    /// </summary>
    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "Logged once in a cluster's life, when the first leader records the initial members.")]
    public async Task EnsureBootstrappedAsync(bool mayForward, CancellationToken token)
    {
        // A member started with --join never seeds a membership of its own.
        if (memberOptions.Value.Join || node.Members().Count > 0)
            return;

        var result = await proposer.ProposeAsync(new BootstrapMembersCommand { PeerUrls = [.. memberOptions.Value.ClusterUrls], ClusterId = KvDb.Core.State.ClusterId.New() }, mayForward, token).ConfigureAwait(false);
        if (result.Outcome is CommandOutcome.Applied)
            LogBootstrapped(string.Join(", ", memberOptions.Value.ClusterUrls.Select((url, i) => $"{i + 1}={url}")));
    }

    /// <summary>
    /// Gives a cluster bootstrapped by a release without cluster ids its id (the leader does this
    /// once; the bootstrap command names the cluster when it has no id and changes no member).
    /// </summary>
    public async Task EnsureClusterIdAsync(CancellationToken token)
    {
        var members = node.Members();
        if (members.Count == 0 || KvDb.Core.State.ClusterId.Read(state.Store) is not null)
            return;

        var id = KvDb.Core.State.ClusterId.New();
        var result = await proposer.ProposeAsync(new BootstrapMembersCommand { PeerUrls = [.. members.Values], ClusterId = id }, mayForward: false, token).ConfigureAwait(false);
        if (result.Outcome is CommandOutcome.Applied)
            LogClusterIdAssigned(id);
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(300);

    /// <summary>Records member <paramref name="id"/> at <paramref name="peerUrl"/> and waits a while for it to be added.</summary>
    /// <exception cref="UnavailableException">No leader or quorum.</exception>
    public async Task<(MembershipOutcome Outcome, string Detail)> AddAsync(int id, string peerUrl, CancellationToken token)
    {
        if (FindOtherWithUrl(id, peerUrl) is { } other)
            return (MembershipOutcome.Conflict, $"{peerUrl} is already the address of member {other.Key} ({other.Value}).");

        await EnsureBootstrappedAsync(mayForward: true, token).ConfigureAwait(false);
        var result = await proposer.ProposeAsync(new SetMemberCommand { Id = id, PeerUrl = peerUrl }, mayForward: true, token).ConfigureAwait(false);
        if (result.Outcome is CommandOutcome.Conflict)
            return (MembershipOutcome.Conflict, DescribeConflict(id, peerUrl));

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        wait.CancelAfter(memberOptions.Value.RequestTimeout * 2);
        try
        {
            while (!node.Cluster.Members.Any(m => PeerUrl.Of(m.EndPoint) == peerUrl))
                await Task.Delay(50, wait.Token).ConfigureAwait(false);
            return (MembershipOutcome.Done, $"Member {id} ({peerUrl}) is in the cluster.");
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return (MembershipOutcome.Pending, $"Member {id} ({peerUrl}) is recorded; it joins once it runs with --join and the leader has caught it up.");
        }
    }

    /// <summary>Removes member <paramref name="id"/>; the member stops itself when it applies the removal.</summary>
    /// <exception cref="UnavailableException">No leader or quorum.</exception>
    public async Task<(MembershipOutcome Outcome, string Detail)> RemoveAsync(int id, CancellationToken token)
    {
        await EnsureBootstrappedAsync(mayForward: true, token).ConfigureAwait(false);

        // The map read below then holds every change acknowledged before this request arrived.
        // Whether the removal may go ahead is decided when it applies, not here (see the header).
        await barrier.WaitAsync(token).ConfigureAwait(false);
        var command = ClusterVersion.ReleaseOrder(clusterVersion.Current.Version) >= ClusterVersion.ReleaseOrder(RemoveMemberCommand.CheckedSince)
            ? new RemoveMemberCommand { Id = id, Voters = [.. node.Cluster.Members.Select(static m => PeerUrl.Of(m.EndPoint)).OfType<string>()], ExpectedMembers = MembershipMap.Describe(node.Members()) }
            : new RemoveMemberCommand { Id = id }; // members of an earlier release would apply it unchecked anyway
        var result = await proposer.ProposeAsync(command, mayForward: true, token).ConfigureAwait(false);
        return result.Outcome switch
        {
            CommandOutcome.NotFound => (MembershipOutcome.NotFound, $"There is no member {id}."),
            CommandOutcome.Conflict => (MembershipOutcome.Conflict, $"Member {id} is the last member; a cluster cannot be left empty."),
            CommandOutcome.PreconditionFailed => (MembershipOutcome.ChangeInProgress, InProgress(id, result.Reply is { } reason ? Encoding.UTF8.GetString(reason) : "another membership change is under way")),
            _ => (MembershipOutcome.Done, $"Member {id} is removed; it shuts itself down."),
        };
    }

    private static string InProgress(int id, string reason)
        => $"Member {id} was not removed: a membership change is in progress ({reason}); removing another member now could leave no majority. Members are removed one at a time: retry once it has finished (GET /v1/members).";

    /// <summary>The members of the map with their role and reachability, as seen from this member.</summary>
    public async Task<IReadOnlyList<MemberView>> ListAsync(CancellationToken token)
    {
        var map = node.Members();
        if (map.Count == 0)
        {
            // The first leader has not recorded the map yet: show the --cluster list.
            for (var i = 0; i < memberOptions.Value.ClusterUrls.Count; i++)
                map[i + 1] = memberOptions.Value.ClusterUrls[i];
        }

        var cluster = node.Cluster;
        var releases = clusterVersion.Current.Members;
        var views = map.Select(pair => DescribeAsync(cluster, pair.Key, pair.Value, token));
        return [.. (await Task.WhenAll(views).ConfigureAwait(false)).Select(v => v with { Version = releases.GetValueOrDefault(v.Id)?.Release })];
    }

    private async Task<MemberView> DescribeAsync(IRaftCluster cluster, int id, string peerUrl, CancellationToken token)
    {
        var member = cluster.Members.FirstOrDefault(m => PeerUrl.Of(m.EndPoint) == peerUrl);
        var role = member is null ? "joining" : PeerUrl.Of(cluster.Leader?.EndPoint) == peerUrl ? "leader" : "follower";
        if (member is { IsRemote: false })
            return new(id, peerUrl, memberOptions.Value.AdvertisedHttpUrl, role, Reachable: true);

        var reachable = await PeerProbe.IsReachableAsync(peerUrl, ProbeTimeout, token).ConfigureAwait(false);
        return new(id, peerUrl, reachable && member is not null ? await HttpUrlOfAsync(member, token).ConfigureAwait(false) : null, role, reachable);
    }

    private static async Task<string?> HttpUrlOfAsync(IClusterMember member, CancellationToken token)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(ProbeTimeout);
            var metadata = await member.GetMetadataAsync(refresh: false, timeout.Token).ConfigureAwait(false);
            return metadata.TryGetValue(IRaftMembership.HttpUrlMetadataKey, out var url) ? url : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            return null;
        }
    }

    private KeyValuePair<int, string>? FindOtherWithUrl(int id, string peerUrl)
    {
        foreach (var pair in node.Members())
        {
            if (pair.Key != id && string.Equals(pair.Value, peerUrl, StringComparison.Ordinal))
                return pair;
        }

        return null;
    }

    private string DescribeConflict(int id, string peerUrl)
    {
        var map = node.Members();
        if (map.TryGetValue(id, out var current))
            return $"Member {id} already exists with the URL {current}; remove it first to change its URL.";
        var owner = map.FirstOrDefault(p => string.Equals(p.Value, peerUrl, StringComparison.OrdinalIgnoreCase));
        return $"{peerUrl} is already the address of member {owner.Key}.";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded the initial members: {Members}")]
    private partial void LogBootstrapped(string members);

    [LoggerMessage(Level = LogLevel.Information, Message = "This cluster had no cluster id (bootstrapped by an older release); it is now {ClusterId}: members send it to each other and refuse members of other clusters")]
    private partial void LogClusterIdAssigned(string clusterId);
}
