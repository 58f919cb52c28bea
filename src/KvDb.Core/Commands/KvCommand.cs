// A command is one client mutation (or membership change) as it travels through the Raft log.
// Invariants:
//  - Union tags are part of the on-disk format: never renumber one, only add new tags.
//  - Fields are addressed by integer keys so that new optional fields can be appended
//    without breaking entries written by older members.
//  - Commands are plain data: what applying one does is decided by CommandExecutor, the same
//    way on every member, from the log alone.
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>A state machine command carried by a Raft log entry.</summary>
[Union(0, typeof(PutCommand))]
[Union(1, typeof(DeleteCommand))]
[Union(2, typeof(BootstrapMembersCommand))]
[Union(3, typeof(SetMemberCommand))]
[Union(4, typeof(RemoveMemberCommand))]
public abstract class KvCommand
{
    /// <summary>The number of bytes the command occupies roughly; used to bound batch sizes.</summary>
    [IgnoreMember]
    public abstract int ApproximateSize { get; }
}

/// <summary>A command that acts on one user key.</summary>
public abstract class KeyCommand : KvCommand
{
    /// <summary>The key the command acts on (UTF-8 bytes of the user's key).</summary>
    [Key(0)]
    public required byte[] Key { get; init; }
}

/// <summary>Stores <see cref="Value"/> under <see cref="KeyCommand.Key"/>, replacing any previous value.</summary>
[MessagePackObject]
public sealed class PutCommand : KeyCommand
{
    /// <summary>The value bytes.</summary>
    [Key(1)]
    public required byte[] Value { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + Value.Length + 16;
}

/// <summary>Removes <see cref="KeyCommand.Key"/>; deleting a missing key is not an error.</summary>
[MessagePackObject]
public sealed class DeleteCommand : KeyCommand
{
    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + 16;
}

/// <summary>
/// Records the initial members (ids 1..N in <c>--cluster</c> order) when the membership map is
/// still empty; a no-op once any member is recorded. The first leader proposes it.
/// </summary>
[MessagePackObject]
public sealed class BootstrapMembersCommand : KvCommand
{
    /// <summary>The peer URLs of members 1..N.</summary>
    [Key(0)]
    public required string[] PeerUrls { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrls.Sum(static u => u.Length + 4);
}

/// <summary>Maps member <see cref="Id"/> to <see cref="PeerUrl"/>; refused when either is taken by another member.</summary>
[MessagePackObject]
public sealed class SetMemberCommand : KvCommand
{
    /// <summary>The member's positive numeric id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <summary>The member's Raft peer URL, <c>http://host:port</c>.</summary>
    [Key(1)]
    public required string PeerUrl { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrl.Length;
}

/// <summary>Removes member <see cref="Id"/> from the membership map.</summary>
[MessagePackObject]
public sealed class RemoveMemberCommand : KvCommand
{
    /// <summary>The member's id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16;
}
