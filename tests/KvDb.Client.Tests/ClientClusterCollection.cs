// The tests that start kvdb processes run one at a time (real election timers on a 2-core
// machine), like KvDb.Tests' cluster collection; each class also carries the Cluster trait,
// so --filter "Category!=Cluster" leaves them out.

namespace KvDb.Client.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientClusterCollection
{
    public const string Name = "client-cluster";
}
