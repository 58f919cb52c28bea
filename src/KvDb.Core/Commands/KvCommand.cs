// A command is one client mutation as it travels through the Raft log.
// Invariants:
//  - Union tags are part of the on-disk format: never renumber one, only add new tags.
//  - Fields are addressed by integer keys so that new optional fields can be appended
//    without breaking entries written by older members.
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>
/// A state machine command carried by a Raft log entry.
/// </summary>
[Union(0, typeof(PutCommand))]
[Union(1, typeof(DeleteCommand))]
public abstract class KvCommand
{
    /// <summary>The key the command acts on (UTF-8 bytes of the user's key).</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <summary>The number of bytes the command occupies roughly; used to bound batch sizes.</summary>
    [IgnoreMember]
    public abstract int ApproximateSize { get; }
}

/// <summary>Stores <see cref="Value"/> under <see cref="KvCommand.Key"/>, replacing any previous value.</summary>
[MessagePackObject]
public sealed class PutCommand : KvCommand
{
    /// <summary>The value bytes.</summary>
    [Key(1)]
    public required byte[] Value { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + Value.Length + 16;
}

/// <summary>Removes <see cref="KvCommand.Key"/>; deleting a missing key is not an error.</summary>
[MessagePackObject]
public sealed class DeleteCommand : KvCommand
{
    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + 16;
}
