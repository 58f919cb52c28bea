// Decides what each command of a committed log entry does to the state, the same way on
// every member.
// Invariants:
//  - Commands of one entry apply in order; each sees the writes of those before it (the
//    batch is consulted before the store), and the store receives the entry's writes as one
//    atomic batch.
//  - A key's revision is the index of the entry that last wrote it.
//  - Membership commands keep the map one-to-one: an id maps to one URL and a URL to one id.
using System.Text;
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>A change to the membership map made by an applied entry.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="PeerUrl">The member's peer URL.</param>
/// <param name="Removed">True when the member was removed, false when it was added.</param>
public readonly record struct MembershipChange(int Id, string PeerUrl, bool Removed);

/// <summary>Applies commands to a store, producing one result per command.</summary>
public sealed class CommandExecutor(IKeyValueStore store)
{
    private readonly StoreBatch batch = new();
    private readonly List<MembershipChange> membershipChanges = [];

    /// <summary>The membership changes made by the last <see cref="Execute"/>.</summary>
    public IReadOnlyList<MembershipChange> MembershipChanges => membershipChanges;

    /// <summary>Applies <paramref name="commands"/> as the entry at <paramref name="index"/>.</summary>
    public void Execute(long index, ReadOnlySpan<KvCommand> commands, Span<CommandResult> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, commands.Length, nameof(results));
        batch.Clear();
        membershipChanges.Clear();
        for (var i = 0; i < commands.Length; i++)
            results[i] = ExecuteOne(index, commands[i]);
        store.Write(index, batch);
    }

    private CommandResult ExecuteOne(long index, KvCommand command) => command switch
    {
        PutCommand put => Put(index, put),
        DeleteCommand delete => Delete(delete),
        BootstrapMembersCommand bootstrap => Bootstrap(bootstrap),
        SetMemberCommand set => SetMember(set),
        RemoveMemberCommand remove => RemoveMember(remove),
        _ => throw new InvalidDataException($"Unknown command {command.GetType().Name}."),
    };

    private CommandResult Put(long index, PutCommand put)
    {
        batch.Put(StoreKeys.ForUser(put.Key), UserRecord.Encode(ValueKind.Raw, index, put.Value));
        return new(CommandOutcome.Applied, index);
    }

    private CommandResult Delete(DeleteCommand delete)
    {
        var key = StoreKeys.ForUser(delete.Key);
        if (Read(key) is null)
            return new(CommandOutcome.NotFound, 0);

        batch.Delete(key);
        return new(CommandOutcome.Applied, 0);
    }

    private CommandResult Bootstrap(BootstrapMembersCommand bootstrap)
    {
        if (ReadMembers().Count > 0)
            return new(CommandOutcome.Conflict, 0);

        for (var i = 0; i < bootstrap.PeerUrls.Length; i++)
            WriteMember(i + 1, bootstrap.PeerUrls[i]);
        return new(CommandOutcome.Applied, 0);
    }

    private CommandResult SetMember(SetMemberCommand set)
    {
        var members = ReadMembers();
        if (members.TryGetValue(set.Id, out var current))
            return new(current == set.PeerUrl ? CommandOutcome.Applied : CommandOutcome.Conflict, 0);
        if (members.Values.Contains(set.PeerUrl, StringComparer.OrdinalIgnoreCase))
            return new(CommandOutcome.Conflict, 0);

        WriteMember(set.Id, set.PeerUrl);
        return new(CommandOutcome.Applied, 0);
    }

    private CommandResult RemoveMember(RemoveMemberCommand remove)
    {
        var members = ReadMembers();
        if (!members.TryGetValue(remove.Id, out var peerUrl))
            return new(CommandOutcome.NotFound, 0);

        // A cluster without members could never elect a leader to undo it.
        if (members.Count == 1)
            return new(CommandOutcome.Conflict, 0);

        batch.Delete(StoreKeys.ForMember(remove.Id));
        membershipChanges.Add(new(remove.Id, peerUrl, Removed: true));
        return new(CommandOutcome.Applied, 0);
    }

    private void WriteMember(int id, string peerUrl)
    {
        batch.Put(StoreKeys.ForMember(id), Encoding.UTF8.GetBytes(peerUrl));
        membershipChanges.Add(new(id, peerUrl, Removed: false));
    }

    private byte[]? Read(byte[] key)
    {
        if (batch.TryGetPending(key, out var pending))
            return pending;
        return store.TryGet(key, out var value) ? value : null;
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
