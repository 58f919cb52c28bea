// The operations a benchmark issues. Invariant: values are dense from 0, so they index
// per-operation arrays (histograms, mix thresholds) without a dictionary on the hot path.
namespace KvDb.Bench;

/// <summary>One kind of benchmark operation.</summary>
public enum OperationKind
{
    /// <summary>Store a value under a key (kvdb <c>PUT /{key}</c>, etcd <c>POST /v3/kv/put</c>).</summary>
    Put = 0,

    /// <summary>Read a key (kvdb <c>GET /{key}</c>, etcd <c>POST /v3/kv/range</c>).</summary>
    Get = 1,

    /// <summary>
    /// A transaction that compares the key's version and, when it holds (always), puts the key and
    /// the next one (kvdb <c>POST /v1/txn</c>, etcd <c>POST /v3/kv/txn</c>).
    /// </summary>
    Txn = 2,

    /// <summary>Appends one item to a list (kvdb <c>POST /v1/lists/bench/{key}</c>; kvdb only).</summary>
    Append = 3,

    /// <summary>Grants a 60 s lease (kvdb <c>POST /v1/leases</c>, etcd <c>POST /v3/lease/grant</c>); the leases expire by themselves.</summary>
    Lease = 4,
}

/// <summary>Names and counts of <see cref="OperationKind"/>.</summary>
public static class OperationKinds
{
    /// <summary>How many operation kinds there are; arrays indexed by kind have this length.</summary>
    public const int Count = 5;

    /// <summary>The lower-case name used in <c>--mix</c>, tables and JSON.</summary>
    public static string Name(OperationKind kind) => kind switch
    {
        OperationKind.Put => "put",
        OperationKind.Get => "get",
        OperationKind.Txn => "txn",
        OperationKind.Append => "append",
        OperationKind.Lease => "lease",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown operation kind"),
    };

    /// <summary>The kind called <paramref name="name"/> (case-insensitive), if any.</summary>
    public static bool TryParse(string name, out OperationKind kind)
    {
        for (var i = 0; i < Count; i++)
        {
            if (string.Equals(Name((OperationKind)i), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = (OperationKind)i;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
