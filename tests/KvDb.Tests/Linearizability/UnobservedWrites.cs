// Finds writes with an unknown outcome that cannot matter to the verdict, so the search can
// leave them out. Each one left in is pending until the end of the history and doubles the
// configurations the search may have to explore, which makes refuting a violation on a key with
// many timed-out writes hopeless without this.
// Invariants (soundness): an unknown write U that stores v (a Put or Cas of v, or a Delete: v is
// "absent") is left out only if no operation that could be linearized after U (one whose return,
// +infinity if unknown, is not before U's call) is
//   (a) a Get that read v,            (b) a Cas that expected v, or
//   (c) a Cas reported as failed.
// Then the key's history is linearizable with U exactly when it is without U:
//  - without U is the same as U never taking effect, which is one thing U may do (it may also be
//    linearized last, where any outcome is accepted), so a linearization without U is one with U;
//  - given a linearization L with U, look at the operations after U up to the next one that
//    changes the state: they all see v, so none is a Get (a), a successful Cas (b), or a failed
//    Cas (c); only unknown Cas operations that did not apply (their expected value is not v, by
//    (b)). Moving U and those to the end of L keeps real-time order (their returns are +infinity),
//    leaves every other operation seeing the same state, and they accept anything at the end.
//  - Removing one such write does not change the conditions for another, so all go together.
namespace KvDb.Tests.Linearizability;

/// <summary>Identifies unknown-outcome writes whose effect no operation could observe.</summary>
internal static class UnobservedWrites
{
    /// <summary>For each operation, whether it is an unknown write that can be left out.</summary>
    public static bool[] Find(IReadOnlyList<Operation> source, IReadOnlyList<KeyOperation> operations)
    {
        var unobserved = new bool[operations.Count];
        for (var i = 0; i < operations.Count; i++)
            unobserved[i] = source[i].IsOutcomeUnknown && operations[i].Kind != OpKind.Get && !CouldBeObserved(i, source, operations);
        return unobserved;
    }

    private static bool CouldBeObserved(int write, IReadOnlyList<Operation> source, IReadOnlyList<KeyOperation> operations)
    {
        var stored = StoredValue(operations[write]);
        var call = source[write].Call;
        for (var i = 0; i < operations.Count; i++)
        {
            if (i == write || ReturnOf(source[i]) < call)
                continue;
            if (Observes(operations[i], stored))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="op"/> could tell that the register held <paramref name="stored"/>, directly or by failing.</summary>
    private static bool Observes(in KeyOperation op, int stored) => op.Kind switch
    {
        OpKind.Get => op.ReadValue == stored,
        OpKind.Cas => op.Expected == stored || op.Outcome == OutcomeKind.PreconditionFailed,
        _ => false,
    };

    private static int StoredValue(in KeyOperation op) => op.Kind == OpKind.Delete ? ValueTable.Absent : op.Written;

    private static long ReturnOf(Operation op) => op.IsOutcomeUnknown ? long.MaxValue : op.Return;
}
