// Wing & Gong's linearizability search for the history of ONE key, with Lowe's memoisation.
// Invariants:
//  - The stack holds the operations placed so far, in linearization order, each with the
//    register state before it; `state` is the state after all of them, `placed` is exactly the
//    set of their indices, and `observers` counts the others. The entry list holds the others.
//  - Only a call that precedes every remaining return may be placed next (a candidate): walking
//    the list from its head, the first return met belongs to an operation that finished before
//    any later call began, so it must be placed before those; meeting it unplaced means the
//    current configuration is a dead end, and the search backtracks to the latest step that had
//    alternatives (Step.Chosen).
//  - A configuration (placed set, canonical state) is entered at most once (VisitedStates, and
//    RemainingObservers.Canonical for why values nobody can observe any more share one state),
//    which bounds the work by the number of distinct configurations instead of orderings.
//  - On entering a configuration, steps that cannot lose a linearization are taken first, with
//    no alternatives; if such a step leads nowhere, the configuration is a dead end too:
//     * Step.MatchingRead: a read-only candidate (a Get, or a Cas whose precondition failed)
//       that fits the state. It can be moved to the front of ANY linearization of the rest: no
//       remaining operation returned before it was called (else it would not be a candidate),
//       and it does not change the state the others see. Without this, concurrent reads of the
//       same value multiply the configurations to explore.
//     * Step.NoEffect: a candidate unknown-outcome write that nothing remaining can observe
//       (proof in RemainingObservers). Without this, every pending unknown write doubles the
//       configurations until the end of the history.
//  - Twins: two candidate unknown-outcome writes with the same input (typically two timed-out
//    Deletes) are interchangeable: swapping them in any linearization of the rest respects real
//    time (both are candidates, so nothing remaining must precede either, and neither returns)
//    and changes no state. So only the earlier of them is ever chosen next; otherwise k pending
//    unknown Deletes would multiply the configurations by 2^k instead of k+1.
//  - The deepest dead end is kept for the explanation: the longest linearizable prefix found and
//    the operation whose return stopped it.
//  - Bounded: the deadline is checked every few hundred steps, and at most
//    maxConfigurations configurations are remembered (roughly 100-200 bytes each); past either
//    limit the search stops and says which.
using System.Diagnostics;

namespace KvDb.Tests.Linearizability;

/// <summary>How the search of one key ended.</summary>
internal enum KeyVerdictKind
{
    Linearizable,
    NotLinearizable,
    TimedOut,

    /// <summary>The memo reached its bound before a verdict.</summary>
    TooManyConfigurations,
}

/// <summary>How an operation came to be placed on the search stack.</summary>
internal enum Step
{
    /// <summary>Chosen among the candidates; the others remain to be tried if it leads nowhere.</summary>
    Chosen,

    /// <summary>A read-only candidate that fits the state, taken with no alternatives.</summary>
    MatchingRead,

    /// <summary>An unknown-outcome write nothing remaining can observe, taken as having had no effect.</summary>
    NoEffect,
}

/// <summary>An operation on the search stack: its call node, the register state before it, and how it was placed.</summary>
internal readonly record struct Frame(int CallNode, int StateBefore, Step Step)
{
    public int Operation => EntryList.OperationOf(CallNode);

    /// <summary>Whether other steps remain to be tried from the configuration this one left.</summary>
    public bool HasAlternatives => Step == Step.Chosen;
}

/// <summary>
/// The deepest point the search reached: <see cref="Prefix"/> was linearizable, leaving the register
/// in <see cref="State"/>, but no remaining operation could follow before <see cref="Blocking"/>, which
/// returned before the others began, had to be placed.
/// </summary>
internal sealed record DeadEnd(IReadOnlyList<Frame> Prefix, int State, int Blocking);

/// <summary>The verdict for one key, with what the explanation needs.</summary>
internal sealed record KeyVerdict(KeyHistory History, KeyVerdictKind Kind, DeadEnd? DeadEnd, int ConfigurationsExplored);

/// <summary>Whether a step that needs no alternatives was available on entering a configuration.</summary>
internal enum ForcedStep
{
    /// <summary>None is available: the candidates must be tried one by one.</summary>
    None,

    /// <summary>One was taken.</summary>
    Taken,

    /// <summary>One is available, but the configuration it leads to was explored already and failed.</summary>
    LeadsToExploredDeadEnd,
}

/// <summary>Searches for a linearization of one key's history.</summary>
internal sealed class KeySearch
{
    /// <summary>The default for the most configurations remembered for one key: bounds memory to a few hundred MB.</summary>
    public const int DefaultMaxConfigurations = 2_000_000;

    private const int StepsBetweenClockReads = 256;

    private readonly IReadOnlyList<KeyOperation> operations;
    private readonly EntryList entries;
    private readonly PlacedSet placed;
    private readonly RemainingObservers observers;
    private readonly VisitedStates visited = new();
    private readonly List<Frame> stack = new();
    private readonly long deadline;
    private readonly int maxConfigurations;
    private int state = RegisterModel.InitialState;
    private long steps;
    private DeadEnd? deepestDeadEnd;

    private KeySearch(KeyHistory history, long deadline, int maxConfigurations)
    {
        this.deadline = deadline;
        this.maxConfigurations = maxConfigurations;
        operations = history.Operations;
        entries = EntryList.Build(operations);
        placed = new PlacedSet(operations.Count);
        observers = new RemainingObservers(operations, history.Values.Count);
    }

    /// <summary>
    /// Searches <paramref name="history"/> until a verdict, the <paramref name="deadline"/> (Stopwatch ticks),
    /// or <paramref name="maxConfigurations"/> remembered configurations.
    /// </summary>
    public static KeyVerdict Run(KeyHistory history, long deadline, int maxConfigurations)
    {
        var search = new KeySearch(history, deadline, maxConfigurations);
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
            if (OutOfBudget() is { } stopped)
                return stopped;

            var forced = isNewConfiguration ? TryForcedStep() : ForcedStep.None;
            isNewConfiguration = forced == ForcedStep.Taken;
            if (forced == ForcedStep.Taken)
                node = entries.First;
            else if (forced == ForcedStep.LeadsToExploredDeadEnd && !TryBacktrack(blockingReturn: FirstReturn(), out node))
                return KeyVerdictKind.NotLinearizable;
            else if (forced == ForcedStep.None && !TryNextCandidate(ref node, out isNewConfiguration))
                return KeyVerdictKind.NotLinearizable;
        }
        return KeyVerdictKind.Linearizable;
    }

    /// <summary>
    /// Tries the event at <paramref name="node"/>: places it if it is a candidate that fits, else moves on to
    /// the next one, or backtracks if it is a return. False when nothing is left to backtrack to.
    /// </summary>
    private bool TryNextCandidate(ref int node, out bool isNewConfiguration)
    {
        isNewConfiguration = false;
        if (!EntryList.IsCall(node))
            return TryBacktrack(blockingReturn: node, out node);

        isNewConfiguration = !IsTwinOfEarlierCandidate(node) && TryPlace(node, Step.Chosen);
        node = isNewConfiguration ? entries.First : entries.Next(node);
        return true;
    }

    /// <summary>
    /// Whether the operation called at <paramref name="callNode"/> is an unknown-outcome write with the same
    /// input as an earlier candidate of the same kind: placing it first would repeat that one's search.
    /// </summary>
    private bool IsTwinOfEarlierCandidate(int callNode)
    {
        var operation = operations[EntryList.OperationOf(callNode)];
        if (!operation.IsOutcomeUnknown)
            return false;
        for (var node = entries.First; node != callNode; node = entries.Next(node))
        {
            var earlier = operations[EntryList.OperationOf(node)];
            if (earlier.IsOutcomeUnknown && earlier.Kind == operation.Kind && earlier.Written == operation.Written && earlier.Expected == operation.Expected)
                return true;
        }
        return false;
    }

    /// <summary>Takes the first candidate step that cannot lose a linearization, if there is one (see the invariants).</summary>
    private ForcedStep TryForcedStep()
    {
        for (var node = entries.First; EntryList.IsCall(node); node = entries.Next(node))
        {
            var operation = operations[EntryList.OperationOf(node)];
            var step = observers.CanIgnore(operation) ? Step.NoEffect
                : RegisterModel.IsReadOnly(operation) && RegisterModel.TryStep(state, operation, out _) ? Step.MatchingRead
                : (Step?)null;
            if (step is { } forced)
                return TryPlace(node, forced) ? ForcedStep.Taken : ForcedStep.LeadsToExploredDeadEnd;
        }
        return ForcedStep.None;
    }

    /// <summary>
    /// Places the operation called at <paramref name="callNode"/> next, if the model accepts it (or, for
    /// <see cref="Step.NoEffect"/>, without changing the state) and the resulting configuration is new.
    /// </summary>
    private bool TryPlace(int callNode, Step step)
    {
        var index = EntryList.OperationOf(callNode);
        var operation = operations[index];
        var after = state;
        if (step != Step.NoEffect && !RegisterModel.TryStep(state, operation, out after))
            return false;

        placed.Add(index);
        observers.Place(operation);
        if (!visited.TryAdd(placed, observers.Canonical(after)))
        {
            observers.Unplace(operation);
            placed.Remove(index);
            return false;
        }
        stack.Add(new Frame(callNode, state, step));
        state = after;
        entries.Lift(callNode);
        return true;
    }

    /// <summary>
    /// Leaves the current configuration, a dead end because <paramref name="blockingReturn"/> was met before
    /// its operation was placed: undoes steps up to and including the latest one that had alternatives,
    /// and resumes with the candidate after it. False when nothing is left to undo.
    /// </summary>
    private bool TryBacktrack(int blockingReturn, out int resumeAt)
    {
        RememberIfDeepest(blockingReturn);
        while (stack.Count > 0)
        {
            var frame = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            entries.Unlift(frame.CallNode);
            observers.Unplace(operations[frame.Operation]);
            placed.Remove(frame.Operation);
            state = frame.StateBefore;
            if (frame.HasAlternatives)
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

    /// <summary>The reason to stop now, if the time or memory budget is spent.</summary>
    private KeyVerdictKind? OutOfBudget()
    {
        if (++steps % StepsBetweenClockReads != 0)
            return null;
        if (Stopwatch.GetTimestamp() > deadline)
            return KeyVerdictKind.TimedOut;
        return visited.Count > maxConfigurations ? KeyVerdictKind.TooManyConfigurations : null;
    }
}
