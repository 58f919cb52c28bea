// How fresh the bench asks reads to be. The bench's own copy of the idea behind kvdb's
// ReadConsistency (KvDb.Node.Http): the bench reaches kvdb only over HTTP, so it names the wire
// spelling (?consistency=local, etcd's "serializable") rather than sharing the server's type.
namespace KvDb.Bench;

/// <summary>The consistency a benchmark asks of its reads.</summary>
public enum BenchConsistency
{
    /// <summary>kvdb's default linearizable read; etcd's default range request.</summary>
    Linearizable,

    /// <summary>kvdb <c>?consistency=local</c>; etcd <c>"serializable": true</c>. May lag the leader.</summary>
    Local,
}
