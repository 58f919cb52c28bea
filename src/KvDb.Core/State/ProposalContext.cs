// Travels with a log entry on the member that proposed it (DotNext keeps it beside the
// entry in memory, never on disk), so the applier can hand each command's result back to
// the request that is waiting for it.
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>Per-entry context attached by the proposer; filled in when the entry is applied.</summary>
public sealed class ProposalContext(int commandCount)
{
    /// <summary>One result per command of the entry, in order.</summary>
    public CommandResult[] Results { get; } = new CommandResult[commandCount];

    /// <summary>The Raft index the entry was applied at; 0 until then.</summary>
    public long Index { get; internal set; }
}
