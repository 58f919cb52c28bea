// The membership feature's commands: the replicated map from member ids to peer URLs (the
// Raft configuration itself is DotNext's). Fields are addressed by integer keys; new optional
// fields are only ever appended (see KvCommand).
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>
/// Records the initial members (ids 1..N in <c>--cluster</c> order) when the membership map is
/// still empty; a no-op once any member is recorded. The first leader proposes it. With a
/// <see cref="ClusterId"/> it also names the cluster, once: a cluster bootstrapped by an older
/// release (members recorded, no id) gets its id from the same command, members untouched.
/// </summary>
[MessagePackObject]
public sealed class BootstrapMembersCommand : KvCommand
{
    /// <summary>The peer URLs of members 1..N.</summary>
    [Key(0)]
    public required string[] PeerUrls { get; init; }

    /// <summary>The cluster id to record when the cluster has none yet (null from older releases).</summary>
    [Key(1)]
    public string? ClusterId { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrls.Sum(static u => u.Length + 4);

    /// <inheritdoc/>
    public override string? Validate()
        => PeerUrls is null or { Length: 0 } || Array.IndexOf(PeerUrls, null) >= 0 ? "a bootstrap without member URLs" : null;
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

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 || PeerUrl is null ? "a member without a positive id and a URL" : null;
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

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 ? "a member removal without a positive id" : null;
}
