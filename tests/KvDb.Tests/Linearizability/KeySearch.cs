// Wing & Gong's linearizability search for the history of ONE key, with Lowe's memoisation.
// Invariants:
//  - The stack holds the operations linearized so far, in linearization order, each with the
//    register state before it; `state` is the state after all of them, and `linearized` is
//    exactly the set of their indices. The entry list holds every other operation.
//  - Only a call that precedes every remaining return may be linearized next: walking the list
//    from its head, the first return met belongs to an operation that finished before any later
//    call began, so it must be linearized before those; meeting it unplaced means the current
//    prefix is a dead end, and the search backtracks.
//  - A configuration (linearized set, state) is entered at most once (VisitedStates), which
//    bounds the work by the number of distinct configurations instead of orderings.
//  - Read-only candidates that match the state are taken first and never reconsidered (Frame.Forced).
//    A read-only operation (a Get, or a Cas whose precondition failed) that is a candidate and
//    fits the current state can be moved to the front of ANY linearization of the rest: no
//    remaining operation returned before it was called (else it would not be a candidate), and
//    it does not change the state the others see. So if the configuration has a linearization,
//    one starts with that step; if the step leads nowhere, the configuration is a dead end too.
//    Without this, concurrent reads of the same value multiply the configurations to explore.
//  - The deepest dead end is kept for the explanation: the longest linearizable prefix found and
//    the operation whose return stopped it.
//  - The deadline is checked every few hundred steps; past it the search stops and says so.
using System.Diagnostics;

namespace KvDb.Tests.Linearizability;

/// <summary>How the search of one key ended.</summary>
internal enum KeyVerdictKind
{
    Linearizable,
    NotLinearizable,
    TimedOut,
}

/// <summary>
/// An operation on the search stack: its call node, the register state before it, and whether it was
/// forced (a matching read-only step, whose configuration has no alternatives worth trying).
/// </summary>
internal readonly record struct Frame(int CallNode, int StateBefore, bool Forced)
{
    public int Operation => EntryList.OperationOf(CallNode);
}

/// <summary>
/// The deepest point the search reached: <see cref="Prefix"/> was linearizable, leaving the register
/// in <see cref="State"/>, but no remaining operation could follow before <see cref="Blocking"/>, which
/// returned before the others began, had to be placed.
/// </summary>
internal sealed record DeadEnd(IReadOnlyList<Frame> Prefix, int State, int Blocking);

/// <summary>The verdict for one key, with what the explanation needs.</summary>
internal sealed record KeyVerdict(KeyHistory History, KeyVerdictKind Kind, DeadEnd? DeadEnd, int ConfigurationsExplored);

/// <summary>How an attempt to take a forced read-only step ended.</summary>
internal enum ForcedStep
{
    /// <summary>No candidate is a read-only operation that matches the state.</summary>
    None,

    /// <summary>A matching read-only candidate was linearized.</summary>
    Taken,

    /// <summary>A matching read-only candidate exists, but the configuration it leads to was already explored and failed.</summary>
    LeadsToExploredDeadEnd,
}

/// <summary>Searches for a linearization of one key's history.</summary>
internal sealed class KeySearch
{
    private const int StepsBetweenClockReads = 256;

    private readonly KeyHistory history;
    private readonly EntryList entries;
    private readonly LinearizedSet linearized;
    private readonly VisitedStates visited = new();
    private readonly List<Frame> stack = new();
    private readonly long deadline;
    private int state = RegisterModel.InitialState;
    private long steps;
    private DeadEnd? deepestDeadEnd;

    private KeySearch(KeyHistory history, long deadline)
    {
        this.history = history;
        this.deadline = deadline;
        entries = EntryList.Build(history.Source);
        linearized = new LinearizedSet(history.Operations.Count);
    }

    /// <summary>Searches <paramref name="history"/> until a verdict or <paramref name="deadline"/> (Stopwatch ticks).</summary>
    public static KeyVerdict Run(KeyHistory history, long deadline)
    {
        var search = new KeySearch(history, deadline);
        var kind = search.Search();
        var deadEnd = kind == KeyVerdictKind.NotLinearizable ? search.deepestDeadEnd : null;
        return new KeyVerdict(history, kind, deadEnd, search.visited.Count);
    }

    private KeyVerdictKind Search()
    {
        var node = entries.First;
        var isNewConfiguration = true;
        while (!entries.IsEmpty)
        {
            if (DeadlinePassed())
                return KeyVerdictKind.TimedOut;
            if (isNewConfiguration)
            {
                isNewConfiguration = false;
                var forced = TryLinearizeMatchingReadOnly();
                if (forced == ForcedStep.Taken)
                {
                    node = entries.First;
                    isNewConfiguration = true;
                    continue;
                }
                if (forced == ForcedStep.LeadsToExploredDeadEnd)
                    node = FirstReturn();
            }

            if (EntryList.IsCall(node))
            {
                isNewConfiguration = TryLinearize(node, forced: false);
                node = isNewConfiguration ? entries.First : entries.Next(node);
            }
            else if (!TryBacktrack(blockingReturn: node, out node))
            {
                return KeyVerdictKind.NotLinearizable;
            }
        }
        return KeyVerdictKind.Linearizable;
    }

    /// <summary>
    /// Linearizes, with no alternative to be tried later, a candidate that reads the current state
    /// without changing it (see the invariants): such a step never loses a linearization.
    /// </summary>
    private ForcedStep TryLinearizeMatchingReadOnly()
    {
        for (var node = entries.First; EntryList.IsCall(node); node = entries.Next(node))
        {
            var operation = history.Operations[EntryList.OperationOf(node)];
            if (RegisterModel.IsReadOnly(operation) && RegisterModel.TryStep(state, operation, out _))
                return TryLinearize(node, forced: true) ? ForcedStep.Taken : ForcedStep.LeadsToExploredDeadEnd;
        }
        return ForcedStep.None;
    }

    /// <summary>Linearizes the operation called at <paramref name="callNode"/> next, if the model and the memo allow.</summary>
    private bool TryLinearize(int callNode, bool forced)
    {
        var operation = EntryList.OperationOf(callNode);
        if (!RegisterModel.TryStep(state, history.Operations[operation], out var after))
            return false;

        linearized.Add(operation);
        if (!visited.TryAdd(linearized, after))
        {
            linearized.Remove(operation);
            return false;
        }
        stack.Add(new Frame(callNode, state, forced));
        state = after;
        entries.Lift(callNode);
        return true;
    }

    /// <summary>
    /// Leaves the current configuration, a dead end because <paramref name="blockingReturn"/> was met before
    /// its operation was placed: undoes linearization steps up to and including the latest one that had
    /// alternatives, and resumes with the candidate after it. False when nothing is left to undo.
    /// </summary>
    private bool TryBacktrack(int blockingReturn, out int resumeAt)
    {
        RememberIfDeepest(blockingReturn);
        while (stack.Count > 0)
        {
            var frame = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            entries.Unlift(frame.CallNode);
            linearized.Remove(frame.Operation);
            state = frame.StateBefore;
            if (!frame.Forced)
            {
                resumeAt = entries.Next(frame.CallNode);
                return true;
            }
        }
        resumeAt = EntryList.End;
        return false;
    }

    /// <summary>The return that ends the current candidates: the operation that must be placed before any later call.</summary>
    private int FirstReturn()
    {
        var node = entries.First;
        while (EntryList.IsCall(node))
            node = entries.Next(node);
        return node;
    }

    private void RememberIfDeepest(int blockingReturn)
    {
        if (deepestDeadEnd is not null && deepestDeadEnd.Prefix.Count >= stack.Count)
            return;
        deepestDeadEnd = new DeadEnd(stack.ToArray(), state, EntryList.OperationOf(blockingReturn));
    }

    private bool DeadlinePassed()
        => ++steps % StepsBetweenClockReads == 0 && Stopwatch.GetTimestamp() > deadline;
}
