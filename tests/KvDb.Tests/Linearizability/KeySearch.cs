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

/// <summary>An operation on the search stack: its call node and the register state before it.</summary>
internal readonly record struct Frame(int CallNode, int StateBefore)
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
        while (!entries.IsEmpty)
        {
            if (DeadlinePassed())
                return KeyVerdictKind.TimedOut;
            if (EntryList.IsCall(node))
                node = TryLinearize(node) ? entries.First : entries.Next(node);
            else if (!TryBacktrack(blockingReturn: node, out node))
                return KeyVerdictKind.NotLinearizable;
        }
        return KeyVerdictKind.Linearizable;
    }

    /// <summary>Linearizes the operation called at <paramref name="callNode"/> next, if the model and the memo allow.</summary>
    private bool TryLinearize(int callNode)
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
        stack.Add(new Frame(callNode, state));
        state = after;
        entries.Lift(callNode);
        return true;
    }

    /// <summary>
    /// Undoes the latest linearization step because <paramref name="blockingReturn"/> was met before its
    /// operation was placed; resumes with the candidate after the undone one. False when nothing is left to undo.
    /// </summary>
    private bool TryBacktrack(int blockingReturn, out int resumeAt)
    {
        RememberIfDeepest(blockingReturn);
        resumeAt = EntryList.End;
        if (stack.Count == 0)
            return false;

        var frame = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        entries.Unlift(frame.CallNode);
        linearized.Remove(frame.Operation);
        state = frame.StateBefore;
        resumeAt = entries.Next(frame.CallNode);
        return true;
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
