// Counts, for the search's current configuration, the operations not yet placed that could
// tell one register value from another. Two uses, both in KeySearch:
//  - Memo key: a value no remaining operation can observe behaves exactly like any other such
//    value for the rest of the search (no remaining Get reads it, no remaining Cas expects it,
//    and a remaining failed Cas is satisfied by all of them alike). So configurations that
//    differ only in which unobservable value the register holds have the same future, and the
//    memo stores all of them as Unobservable. This collapses the orders of concurrent writes
//    whose values are never read.
//  - Dropping unknown writes: an unknown-outcome write U storing v, with no remaining observer of
//    v and no remaining failed Cas, can be taken as having had no effect. Proof: in any order
//    of the remaining operations, those after U up to the next state change all see v, so none
//    is a Get (it would read v), a successful Cas (it would expect v) or a failed Cas (none is
//    left); only unknown Cas operations that did not apply. Moving U and those to the end keeps
//    real-time order (their returns are +infinity), changes no state any other operation sees,
//    and at the end any outcome is accepted: that is the order in which U had no effect.
// Invariants:
//  - An operation counts while it is not placed: Place and Unplace keep the counts exact as the
//    search moves forward and backtracks (in last-in-first-out order).
//  - A Get observes the value it read; a Cas observes the value it expected, whatever its
//    outcome; a failed Cas also counts in FailedCompareAndSets, since it observes "not expected".
namespace KvDb.Tests.Linearizability;

/// <summary>Per-value counts of the operations not yet placed that could observe that value.</summary>
internal sealed class RemainingObservers
{
    /// <summary>The memo's stand-in for any value that no remaining operation can observe.</summary>
    public const int Unobservable = -1;

    private readonly int[] byValue;
    private int failedCompareAndSets;

    public RemainingObservers(IReadOnlyList<KeyOperation> operations, int valueCount)
    {
        byValue = new int[valueCount];
        foreach (var op in operations)
            Count(op, +1);
    }

    /// <summary>Records that <paramref name="op"/> has been placed (linearized or taken as having no effect).</summary>
    public void Place(in KeyOperation op) => Count(op, -1);

    /// <summary>Undoes <see cref="Place"/>.</summary>
    public void Unplace(in KeyOperation op) => Count(op, +1);

    /// <summary><paramref name="state"/>, or <see cref="Unobservable"/> if no remaining operation can tell it apart.</summary>
    public int Canonical(int state) => byValue[state] > 0 ? state : Unobservable;

    /// <summary>Whether the unknown write <paramref name="op"/> can be taken as having had no effect (see above).</summary>
    public bool CanIgnore(in KeyOperation op)
        => op.IsOutcomeUnknown && op.Kind != OpKind.Get && failedCompareAndSets == 0 && byValue[op.Stored] == 0;

    private void Count(in KeyOperation op, int delta)
    {
        if (op.Kind == OpKind.Get)
            byValue[op.ReadValue] += delta;
        else if (op.Kind == OpKind.Cas)
            byValue[op.Expected] += delta;
        if (op.Kind == OpKind.Cas && op.Outcome == OutcomeKind.PreconditionFailed)
            failedCompareAndSets += delta;
    }
}
