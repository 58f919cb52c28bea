// How membership commands apply.
// Invariants: the map stays one-to-one (an id maps to one URL and a URL to one id), and is
// never emptied: a cluster without members could never elect a leader to undo it. A member's
// advertised release (MemberRelease) exists only while the member is in the map.
// One removal at a time, decided here: a removed member stops at once but votes until the
// leader takes it out of the Raft configuration, so a second removal in that window could
// stop a second voter (2 of 4: no majority, for good). A removal carries the map and the
// voters its proposer saw; it is refused (PreconditionFailed, the reason in Reply) when the
// applied map differs (another change applied first) or one of those voters is no longer in
// the map (a removal not finished). Only what the log holds decides, so every member agrees.
// Removals of older releases carry neither and are not checked.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.Membership;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    internal CommandResult Bootstrap(BootstrapMembersCommand bootstrap)
    {
        var named = NameCluster(bootstrap.ClusterId);
        if (ReadMembers().Count > 0)
            return new(named | RecordRelease(bootstrap) ? CommandOutcome.Applied : CommandOutcome.Conflict, 0);

        for (var i = 0; i < bootstrap.PeerUrls.Length; i++)
            WriteMember(i + 1, bootstrap.PeerUrls[i]);
        RecordRelease(bootstrap);
        return new(CommandOutcome.Applied, 0);
    }

    /// <summary>Whether the last <see cref="Execute"/> changed a member's advertised release (or removed a member's).</summary>
    public bool ReleasesChanged { get; private set; }

    // A member's advertisement (MemberRelease), recorded only while the member is in the map:
    // one that was removed meanwhile must not leave a record behind for its id.
    private bool RecordRelease(BootstrapMembersCommand bootstrap)
    {
        if (bootstrap.Release is not { Length: > 0 } release || !ReadMembers().ContainsKey(bootstrap.ReleaseOf))
            return false;

        batch.Put(StoreKeys.ForRelease(bootstrap.ReleaseOf), MemberRelease.Of(release, bootstrap.Commands ?? []).Encode());
        ReleasesChanged = true;
        return true;
    }

    // The cluster id is written once and never replaced (see ClusterId).
    private bool NameCluster(string? clusterId)
    {
        if (!ClusterId.IsWellFormed(clusterId) || Read(ClusterId.Key) is not null)
            return false;
        batch.Put(ClusterId.Key, System.Text.Encoding.UTF8.GetBytes(clusterId!));
        return true;
    }

    internal CommandResult SetMember(SetMemberCommand set)
    {
        var members = ReadMembers();
        if (members.TryGetValue(set.Id, out var current))
            return new(current == set.PeerUrl ? CommandOutcome.Applied : CommandOutcome.Conflict, 0);
        if (members.Values.Contains(set.PeerUrl, StringComparer.OrdinalIgnoreCase))
            return new(CommandOutcome.Conflict, 0);

        WriteMember(set.Id, set.PeerUrl);
        return new(CommandOutcome.Applied, 0);
    }

    internal CommandResult RemoveMember(RemoveMemberCommand remove)
    {
        var members = ReadMembers();
        if (!members.TryGetValue(remove.Id, out var peerUrl))
            return new(CommandOutcome.NotFound, 0);

        // A cluster without members could never elect a leader to undo it.
        if (members.Count == 1)
            return new(CommandOutcome.Conflict, 0);

        if (ChangeInProgress(members, remove) is { } reason)
            return new(CommandOutcome.PreconditionFailed, 0, Reply: Encoding.UTF8.GetBytes(reason));

        batch.Delete(StoreKeys.ForMember(remove.Id));
        batch.Delete(StoreKeys.ForRelease(remove.Id));
        ReleasesChanged = true;
        membershipChanges.Add(new(remove.Id, peerUrl, Removed: true));
        return new(CommandOutcome.Applied, 0);
    }

    /// <summary>Why <paramref name="remove"/> must wait for another membership change, or null when it need not.</summary>
    private static string? ChangeInProgress(SortedDictionary<int, string> members, RemoveMemberCommand remove)
    {
        if (remove.ExpectedMembers is { } expected)
        {
            var current = MembershipMap.Describe(members);
            if (!current.AsSpan().SequenceEqual(expected))
            {
                var gone = expected.Except(current, StringComparer.Ordinal).Select(static m => Member(m) + " was removed");
                var added = current.Except(expected, StringComparer.Ordinal).Select(static m => Member(m) + " was added");
                return $"another membership change was applied first ({string.Join("; ", gone.Concat(added))})";
            }
        }

        foreach (var voter in remove.Voters ?? [])
        {
            if (!members.ContainsValue(voter))
                return $"the member at {voter} was removed and still votes until the leader takes it out of the Raft configuration";
        }

        return null;

        // "3=http://host:port" as "member 3 (http://host:port)".
        static string Member(string described)
            => described.IndexOf('=', StringComparison.Ordinal) is var at and > 0 ? $"member {described[..at]} ({described[(at + 1)..]})" : "member " + described;
    }

    private void WriteMember(int id, string peerUrl)
    {
        batch.Put(StoreKeys.ForMember(id), Encoding.UTF8.GetBytes(peerUrl));
        membershipChanges.Add(new(id, peerUrl, Removed: false));
    }

    // The map is small (a handful of members), so reading it whole keeps the checks simple.
    private SortedDictionary<int, string> ReadMembers()
    {
        using var view = store.OpenView();
        var members = MembershipMap.Read(view);
        foreach (var change in membershipChanges)
        {
            if (change.Removed)
                members.Remove(change.Id);
            else
                members[change.Id] = change.PeerUrl;
        }

        return members;
    }
}
