// A command is one client mutation (or membership change) as it travels through the Raft log.
// Invariants:
//  - Each command type has a union tag, declared by its handler (CommandHandler): tags are
//    part of the on-disk format, never renumbered or reused, only added.
//  - Fields are addressed by integer keys so that new optional fields can be appended
//    without breaking entries written by older members.
//  - Commands are plain data: what applying one does is decided by its handler, the same
//    way on every member, from the log alone.
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>A state machine command carried by a Raft log entry; its handler (see <see cref="CommandRegistry"/>) says what it does.</summary>
public abstract class KvCommand
{
    /// <summary>The number of bytes the command occupies roughly; used to bound batch sizes.</summary>
    [IgnoreMember]
    public abstract int ApproximateSize { get; }

    /// <summary>Why the command is malformed (missing fields), or null when it is well formed.</summary>
    public abstract string? Validate();
}
