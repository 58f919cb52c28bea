// Travels with a log entry on the member that proposed it (DotNext keeps it beside the
// entry in memory, never on disk), so the applier can hand each command's result back to
// the request that is waiting for it.
//
// DotNext keys the context by log index only, and keeps it when a new leader overwrites that
// index with a different entry. Raft's log matching property makes (index, term) name one
// entry, so the applier trusts a context only when the entry's term is the term the proposal
// was made in (and the command counts agree); anything else is a stale context to ignore.
// It also carries the trace the proposal belongs to (default when untraced), so applying the
// entry on the proposing member shows in that trace; other members apply it untraced.
using System.Diagnostics;
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>Per-entry context attached by the proposer; filled in when the entry is applied.</summary>
public sealed class ProposalContext
{
    /// <summary>A context for an entry of <paramref name="commandCount"/> commands proposed in <paramref name="term"/>.</summary>
    public ProposalContext(long term, int commandCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        ArgumentOutOfRangeException.ThrowIfNegative(commandCount);
        Term = term;
        Results = new CommandResult[commandCount];
    }

    /// <summary>The term of the proposed entry.</summary>
    public long Term { get; }

    /// <summary>One result per command of the entry, in order; meaningful once <see cref="Index"/> is set.</summary>
    public CommandResult[] Results { get; }

    /// <summary>The Raft index the entry was applied at; 0 until then (and forever if another entry took its place).</summary>
    public long Index { get; internal set; }

    /// <summary>The span the entry was replicated under, as the parent of its apply span; default when the proposal is not traced.</summary>
    public ActivityContext Trace { get; init; }

    /// <summary>Whether this context belongs to the entry of <paramref name="term"/> holding <paramref name="commandCount"/> commands.</summary>
    public bool Describes(long term, int commandCount) => Term == term && Results.Length == commandCount;
}
