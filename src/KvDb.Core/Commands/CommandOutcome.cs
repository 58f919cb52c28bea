// What applying one command did. Computed deterministically by every member from the
// log alone, so any member can answer a client with it.
namespace KvDb.Core.Commands;

/// <summary>The result of applying a single <see cref="KvCommand"/>.</summary>
public enum CommandOutcome : byte
{
    /// <summary>The command was applied.</summary>
    Applied = 0,

    /// <summary>The key or member does not exist; the state is unchanged.</summary>
    NotFound = 1,

    /// <summary>The command conflicts with the current state (an id or URL taken by another member); nothing changed.</summary>
    Conflict = 2,

    /// <summary>The command's precondition did not hold; nothing changed.</summary>
    PreconditionFailed = 3,

    /// <summary>The idempotency key was used before for a different request; nothing changed.</summary>
    IdempotencyKeyReused = 4,

    /// <summary>The write names a lease that does not exist (revoked or expired); nothing changed.</summary>
    LeaseNotFound = 5,
}

/// <summary>The outcome of one command and the revision it produced or found.</summary>
/// <param name="Outcome">What applying the command did.</param>
/// <param name="Revision">
/// For key commands: the key's revision after the command (the index of the entry that wrote it),
/// the entry's index for an applied delete, or the current revision when a precondition failed
/// (0 when the key is absent).
/// </param>
/// <param name="Replayed">True when this is the remembered result of an earlier command with the same idempotency key.</param>
/// <param name="Reply">What a command that answers more than an outcome answered (a transaction's <c>TxnReply</c>, encoded); null for the others.</param>
public readonly record struct CommandResult(CommandOutcome Outcome, long Revision, bool Replayed = false, byte[]? Reply = null);
