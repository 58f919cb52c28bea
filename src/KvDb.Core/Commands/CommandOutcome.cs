// What applying one command did. Computed deterministically by every member from the
// log alone, so any member can answer a client with it.
namespace KvDb.Core.Commands;

/// <summary>The result of applying a single <see cref="KvCommand"/>.</summary>
public enum CommandOutcome : byte
{
    /// <summary>The command was applied.</summary>
    Applied = 0,

    /// <summary>A delete found no such key; the state is unchanged.</summary>
    NotFound = 1,
}
