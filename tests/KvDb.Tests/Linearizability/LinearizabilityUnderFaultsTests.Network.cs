// The network nemesis: the same clients and checks as the process nemesis, on a cluster whose
// member-to-member links all pass through PeerNetwork's proxies, while one network fault at a
// time is applied to the links around the leader and then healed. Clients keep reaching every
// member directly, so a member cut off from its peers (a deposed leader above all) still gets
// reads and writes, and must neither acknowledge a write it cannot commit nor answer a
// linearizable read with a stale value. One test case per fault kind, so CI runs each once and
// scripts/fault-suite can loop over one (its second argument).
// Invariants: every fault is healed before the clients stop (also when the nemesis fails), and
// each case waits until every member serves again, so the final reads see a whole cluster.
namespace KvDb.Tests.Linearizability;

/// <summary>The network faults the fault suite injects, one per test case.</summary>
public enum NetworkFault
{
    /// <summary>A follower is cut off from the leader and the other follower, both ways (majority | minority).</summary>
    FollowerInMinority,

    /// <summary>The leader is cut off from both followers, both ways; clients still reach it.</summary>
    IsolatedLeader,

    /// <summary>Nothing the leader sends reaches the followers; what they send reaches it.</summary>
    OneWayFromLeader,

    /// <summary>Nothing the followers send reaches the leader; what it sends reaches them.</summary>
    OneWayToLeader,

    /// <summary>The leader and one follower cannot talk; the other follower talks to both (a bridge).</summary>
    Bridge,

    /// <summary>The leader's link to one follower is slow (around the election timeout), to the other lossy.</summary>
    DelayAndLoss,
}

public sealed partial class LinearizabilityUnderFaultsTests
{
    private static readonly int[] Everyone = [1, 2, 3];

    [Theory]
    [InlineData(NetworkFault.FollowerInMinority)]
    [InlineData(NetworkFault.IsolatedLeader)]
    [InlineData(NetworkFault.OneWayFromLeader)]
    [InlineData(NetworkFault.OneWayToLeader)]
    [InlineData(NetworkFault.Bridge)]
    [InlineData(NetworkFault.DelayAndLoss)]
    public async Task Histories_stay_linearizable_and_acknowledged_writes_survive_a_network_fault(NetworkFault fault)
    {
        await using var cluster = await KvdbCluster.StartWithNetworkAsync(3, Flags);
        var network = cluster.Network!;
        await RunUnderNemesisAsync(cluster, note => InjectAsync(cluster, network, fault, note), network.Heal);
    }

    // Applies fault around the current leader, holds it long enough for several election
    // timeouts (500 ms), heals it and waits until every member serves again.
    private static async Task InjectAsync(KvdbCluster cluster, PeerNetwork network, NetworkFault fault, Action<string> note)
    {
        var leader = await cluster.WaitForLeaderAsync();
        var (a, b) = Everyone.Where(id => id != leader).ToArray() switch { var others => (others[0], others[1]) };
        switch (fault)
        {
            case NetworkFault.FollowerInMinority:
                network.Partition([a], [leader, b]);
                note($"partition {a} | {leader} (leader), {b}");
                await Task.Delay(TimeSpan.FromSeconds(3));
                break;
            case NetworkFault.IsolatedLeader:
                network.Isolate(leader, Everyone);
                note($"leader {leader} isolated from its peers");
                note($"new leader {await cluster.WaitForLeaderAsync(except: leader)} while {leader} still hears clients");
                await Task.Delay(TimeSpan.FromSeconds(2));
                break;
            case NetworkFault.OneWayFromLeader:
                network.Cut(leader, a);
                network.Cut(leader, b);
                note($"links {leader}->{a} and {leader}->{b} cut (leader {leader} hears its followers, they do not hear it)");
                note($"new leader {await cluster.WaitForLeaderAsync(except: leader)}");
                await Task.Delay(TimeSpan.FromSeconds(2));
                break;
            case NetworkFault.OneWayToLeader:
                network.Cut(a, leader);
                network.Cut(b, leader);
                note($"links {a}->{leader} and {b}->{leader} cut (followers hear leader {leader}, it never hears back)");
                await Task.Delay(TimeSpan.FromSeconds(3));
                break;
            case NetworkFault.Bridge:
                network.Partition([leader], [a]);
                note($"{leader} (leader) and {a} cut apart; {b} is the bridge");
                await Task.Delay(TimeSpan.FromSeconds(3));
                break;
            case NetworkFault.DelayAndLoss:
                network.Delay(leader, a, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(400));
                network.Delay(a, leader, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(400));
                network.Lose(leader, b, 0.3);
                network.Lose(b, leader, 0.3);
                note($"{leader}<->{a} delayed 250-650 ms, {leader}<->{b} losing 30%");
                await Task.Delay(TimeSpan.FromSeconds(4));
                note($"{network.Resets} connection(s) reset for loss");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, "no such fault");
        }

        note($"healing ({network.Describe()}); leader now {await cluster.WaitForLeaderAsync()}");
        network.Heal();
        foreach (var id in Everyone)
            await cluster.WaitUntilMemberServesAsync(id);
        note("healed; every member serves");
    }
}
