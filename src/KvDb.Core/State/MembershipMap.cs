// Reads the replicated membership map (member id → Raft peer URL) out of the store, and
// describes it as removals carry it ("id=url" in id order, compared ordinally).
using System.Globalization;
using System.Text;

namespace KvDb.Core.State;

/// <summary>The membership map as kept in the state machine's store.</summary>
public static class MembershipMap
{
    /// <summary>Reads every member of <paramref name="view"/>, in id order.</summary>
    public static SortedDictionary<int, string> Read(IKeyValueView view)
    {
        var members = new SortedDictionary<int, string>();
        foreach (var (key, value) in view.Scan(StoreKeys.Start(StoreKeys.Member), StoreKeys.End(StoreKeys.Member)))
            members[StoreKeys.MemberId(key)] = Encoding.UTF8.GetString(value);
        return members;
    }

    /// <summary>The map as a removal carries it in <c>ExpectedMembers</c>: "id=url" in id order.</summary>
    public static string[] Describe(IEnumerable<KeyValuePair<int, string>> members)
        => [.. members.OrderBy(static m => m.Key).Select(static m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value}"))];
}
