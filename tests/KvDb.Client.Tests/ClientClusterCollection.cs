// The tests that start kvdb processes run one at a time (real election timers on a 2-core
// machine), like KvDb.Tests' cluster collection; each class also carries the Cluster trait,
// so --filter "Category!=Cluster" leaves them out.

using System.Diagnostics.CodeAnalysis;

namespace KvDb.Client.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "xUnit's name for a [CollectionDefinition] class is a collection; the type holds no items.")]
public sealed class ClientClusterCollection
{
    public const string Name = "client-cluster";
}
