// The sequential specification of one key of the store: a register that is either absent or
// holds a string, and the history of one key compiled into the compact form the search uses.
// Invariants:
//  - The model is a pure function of (state, operation): the search relies on that to memoise.
//  - States are small integers: 0 is "absent", and every other state is an index into the key's
//    ValueTable. Two states are equal exactly when the register contents are equal.
//  - A KeyHistory holds every operation of the key except reads with unknown outcomes, which
//    constrain nothing, numbered in call order (VisitedStates relies on it to stay compact).
//    Unknown outcomes return at +infinity (long.MaxValue).
//  - An operation with an Unknown outcome is accepted in every state (the client saw nothing to
//    contradict); a write still changes the state as it would have had it succeeded. That it may
//    instead have taken no effect is the search's business (Step.NoEffect in KeySearch).
namespace KvDb.Tests.Linearizability;

/// <summary>The distinct values seen on one key, numbered from 1; 0 stands for "absent".</summary>
internal sealed class ValueTable
{
    public const int Absent = 0;

    private readonly List<string?> values = new() { null };
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    public int IdOf(string? value)
    {
        if (value is null)
            return Absent;
        if (ids.TryGetValue(value, out var id))
            return id;
        ids.Add(value, values.Count);
        values.Add(value);
        return values.Count - 1;
    }

    /// <summary>The number of ids in use, "absent" included.</summary>
    public int Count => values.Count;

    public string Describe(int state) => ValueText.Of(values[state]);
}

/// <summary>One operation of one key, with values replaced by their <see cref="ValueTable"/> ids.</summary>
/// <param name="HistoryIndex">The operation's position in the history given to the checker.</param>
/// <param name="Kind">What the operation does.</param>
/// <param name="Written">Put/Cas: the id of the value written.</param>
/// <param name="Expected">Cas: the id of the value required.</param>
/// <param name="Outcome">What the client was told.</param>
/// <param name="ReadValue">Get: the id of the value read.</param>
/// <param name="Call">The call time in ticks.</param>
/// <param name="Return">The return time in ticks; long.MaxValue (+infinity) for an unknown outcome.</param>
internal readonly record struct KeyOperation(int HistoryIndex, OpKind Kind, int Written, int Expected, OutcomeKind Outcome, int ReadValue, long Call, long Return)
{
    /// <summary>Whether the client cannot tell if this operation took effect.</summary>
    public bool IsOutcomeUnknown => Outcome == OutcomeKind.Unknown;

    /// <summary>For a write, the value id the register holds after it applies ("absent" for a Delete).</summary>
    public int Stored => Kind == OpKind.Delete ? ValueTable.Absent : Written;
}

/// <summary>The operations of a single key, ready for the search.</summary>
internal sealed class KeyHistory
{
    private KeyHistory(string key, IReadOnlyList<Operation> source, IReadOnlyList<KeyOperation> operations, ValueTable values)
    {
        Key = key;
        Source = source;
        Operations = operations;
        Values = values;
    }

    public string Key { get; }

    /// <summary>The original operations, index-aligned with <see cref="Operations"/>.</summary>
    public IReadOnlyList<Operation> Source { get; }

    public IReadOnlyList<KeyOperation> Operations { get; }

    public ValueTable Values { get; }

    /// <summary>
    /// Compiles the operations of <paramref name="key"/>, numbered in call order; reads with unknown
    /// outcomes are dropped (they constrain nothing).
    /// </summary>
    public static KeyHistory Compile(string key, IEnumerable<(Operation Operation, int HistoryIndex)> operations)
    {
        var values = new ValueTable();
        var source = new List<Operation>();
        var compiled = new List<KeyOperation>();
        foreach (var (operation, index) in operations.OrderBy(o => o.Operation.Call).ThenBy(o => o.HistoryIndex))
        {
            if (operation.IsOutcomeUnknown && !operation.Input.IsWrite)
                continue;
            source.Add(operation);
            compiled.Add(CompileOne(operation, index, values));
        }
        return new KeyHistory(key, source, compiled, values);
    }

    private static KeyOperation CompileOne(Operation operation, int historyIndex, ValueTable values) => new(
        historyIndex,
        operation.Input.Kind,
        values.IdOf(operation.Input.Value),
        values.IdOf(operation.Input.Expected),
        operation.Output.Kind,
        values.IdOf(operation.Output.Value),
        operation.Call,
        operation.IsOutcomeUnknown ? long.MaxValue : operation.Return);
}

/// <summary>The register's sequential specification.</summary>
internal static class RegisterModel
{
    /// <summary>The register's state before any operation: absent.</summary>
    public const int InitialState = ValueTable.Absent;

    /// <summary>
    /// Applies <paramref name="op"/> to <paramref name="state"/>. Returns false when a register in
    /// that state could not have given the recorded outcome.
    /// </summary>
    public static bool TryStep(int state, in KeyOperation op, out int next)
    {
        next = state;
        switch (op.Kind)
        {
            case OpKind.Get:
                return op.ReadValue == state;
            case OpKind.Put:
                next = op.Written;
                return true;
            case OpKind.Delete:
                next = ValueTable.Absent;
                return true;
            default:
                return TryCompareAndSet(state, op, out next);
        }
    }

    /// <summary>Whether <paramref name="op"/> never changes the state: a Get, or a Cas reported as failed.</summary>
    public static bool IsReadOnly(in KeyOperation op)
        => op.Kind == OpKind.Get || (op.Kind == OpKind.Cas && op.Outcome == OutcomeKind.PreconditionFailed);

    /// <summary>Why <see cref="TryStep"/> rejects <paramref name="op"/> in <paramref name="state"/>, or null if it accepts it.</summary>
    public static string? WhyRejected(int state, in KeyOperation op, ValueTable values)
    {
        if (TryStep(state, op, out _))
            return null;
        var actual = state == ValueTable.Absent ? "the key is absent" : $"the register holds {values.Describe(state)}";
        if (op.Kind == OpKind.Get)
            return $"it read {values.Describe(op.ReadValue)} but {actual}";
        if (op.Outcome == OutcomeKind.Ok)
            return op.Expected == ValueTable.Absent
                ? $"it succeeded but {actual}, while it required the key to be absent"
                : $"it succeeded but {actual}, not the expected {values.Describe(op.Expected)}";
        return op.Expected == ValueTable.Absent
            ? $"its precondition failed but {actual}, as it required"
            : $"its precondition failed but {actual}, which is the expected value";
    }

    private static bool TryCompareAndSet(int state, in KeyOperation op, out int next)
    {
        var matches = state == op.Expected;
        next = matches ? op.Written : state;
        return op.Outcome switch
        {
            OutcomeKind.Ok => matches,
            OutcomeKind.PreconditionFailed => !matches,
            _ => true,
        };
    }
}
