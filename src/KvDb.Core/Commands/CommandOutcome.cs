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
}

/// <summary>The outcome of one command and the revision it produced or found.</summary>
/// <param name="Outcome">What applying the command did.</param>
/// <param name="Revision">For key commands: the Raft index of the key's last write after the command (0 when the key is absent).</param>
public readonly record struct CommandResult(CommandOutcome Outcome, long Revision);
