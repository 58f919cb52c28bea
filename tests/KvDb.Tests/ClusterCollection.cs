using System.Diagnostics.CodeAnalysis;

namespace KvDb.Tests;

/// <summary>
/// Cluster tests start real processes with real election timers; running them one at a time
/// keeps a 2-core CI machine from starving elections and making them flaky.
/// Every class in this collection also carries <c>[Trait("Category", "Cluster")]</c> itself, because
/// xunit 2 does not give a collection's traits to its classes, and the fast inner loop
/// (<c>--filter "Category!=Cluster"</c>) relies on the trait to leave out every test that starts
/// processes.
/// xunit only honours a collection definition in the assembly of the tests that name it, so this
/// one stays here rather than in KvDb.Testing; KvDb.Client.Tests has its own (ClientClusterCollection).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "xUnit's name for a [CollectionDefinition] class is a collection; the type holds no items.")]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
