// The call and return events of one key's operations, as a doubly linked list in time order,
// from which the search removes ("lifts") operations as it linearizes them and puts them back
// when it backtracks.
// Invariants:
//  - Node 0 is the head sentinel. Operation i has its call at node 2i+1 and its return at
//    node 2i+2; End (-1) terminates the list.
//  - Order: by KeyOperation.Call and .Return; for an unknown outcome that return is +infinity,
//    after every real timestamp.
//  - TIE RULE: at EQUAL timestamps every call comes before every return. So an operation that returned at t and one that was called at t count as concurrent:
//    the clock could not tell which came first, and the recorded interval is wider than the
//    real one on both ends, so equal ticks do not prove the first finished before the second
//    began. Treating them as concurrent only ever allows more orders: the checker may miss a
//    violation that needs a finer clock to see, but never reports one that did not happen.
//  - Ties among events of the same kind at the same time are broken by operation index, which
//    is irrelevant to the verdict but makes every run explore in the same order.
//  - Lift and Unlift are exact inverses when undone in last-in-first-out order.
namespace KvDb.Tests.Linearizability;

/// <summary>Call/return events of one key in time order, with removable operations.</summary>
internal sealed class EntryList
{
    public const int End = -1;
    private const int Head = 0;

    private readonly int[] next;
    private readonly int[] previous;

    private EntryList(int nodeCount)
    {
        next = new int[nodeCount];
        previous = new int[nodeCount];
    }

    /// <summary>The first event not yet lifted, or <see cref="End"/>.</summary>
    public int First => next[Head];

    public bool IsEmpty => next[Head] == End;

    public static bool IsCall(int node) => node > 0 && (node & 1) == 1;

    public static int OperationOf(int node) => (node - 1) >> 1;

    public int Next(int node) => next[node];

    /// <summary>Builds the list for <paramref name="operations"/> using the tie rule above.</summary>
    public static EntryList Build(IReadOnlyList<KeyOperation> operations)
    {
        var events = new List<Event>(operations.Count * 2);
        for (var i = 0; i < operations.Count; i++)
        {
            events.Add(new Event(operations[i].Call, IsReturn: false, i));
            events.Add(new Event(operations[i].Return, IsReturn: true, i));
        }
        events.Sort();

        var list = new EntryList(operations.Count * 2 + 1);
        var last = Head;
        foreach (var e in events)
        {
            var node = e.IsReturn ? 2 * e.Operation + 2 : 2 * e.Operation + 1;
            list.next[last] = node;
            list.previous[node] = last;
            last = node;
        }
        list.next[last] = End;
        return list;
    }

    /// <summary>Removes the operation whose call is <paramref name="callNode"/>: both its call and its return.</summary>
    public void Lift(int callNode)
    {
        Unlink(callNode);
        Unlink(callNode + 1);
    }

    /// <summary>Undoes <see cref="Lift"/> of <paramref name="callNode"/>, which must be the latest lift not yet undone.</summary>
    public void Unlift(int callNode)
    {
        Relink(callNode + 1);
        Relink(callNode);
    }

    private void Unlink(int node)
    {
        var before = previous[node];
        var after = next[node];
        next[before] = after;
        if (after != End)
            previous[after] = before;
    }

    private void Relink(int node)
    {
        var before = previous[node];
        var after = next[node];
        next[before] = node;
        if (after != End)
            previous[after] = node;
    }

    /// <summary>One call or return; sorts by time, then calls before returns, then by operation.</summary>
    private readonly record struct Event(long Time, bool IsReturn, int Operation) : IComparable<Event>
    {
        public int CompareTo(Event other)
        {
            var byTime = Time.CompareTo(other.Time);
            if (byTime != 0)
                return byTime;
            var byKind = IsReturn.CompareTo(other.IsReturn);
            return byKind != 0 ? byKind : Operation.CompareTo(other.Operation);
        }
    }
}
