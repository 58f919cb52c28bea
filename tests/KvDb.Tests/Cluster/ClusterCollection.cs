namespace KvDb.Tests.Cluster;

/// <summary>
/// Cluster tests start real processes with real election timers; running them one at a time
/// keeps a 2-core CI machine from starving elections and making them flaky.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
