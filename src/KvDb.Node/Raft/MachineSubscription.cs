// Attaches handlers to the state machine's events once per state machine, lazily: services
// that follow applied entries (watch feeds, list feeds) are created before the member starts,
// and the member's state machine is only there once it has.
// Invariant: `attach` runs at most once for each state machine instance, under a lock, and
// Ensure is cheap (one volatile read) once it has run for the current one.
using KvDb.Core.State;

namespace KvDb.Node.Raft;

/// <summary>Subscribes to the current state machine's events once.</summary>
public sealed class MachineSubscription
{
    private readonly RaftNode node;
    private readonly Action<KvStateMachine> attach;
    private readonly Lock gate = new();
    private object? attached;

    internal MachineSubscription(RaftNode node, Action<KvStateMachine> attach)
    {
        this.node = node;
        this.attach = attach;
    }

    /// <summary>Attaches to the current state machine if that has not happened yet (no-op before the member starts).</summary>
    public void Ensure()
    {
        if (!node.IsStarted || ReferenceEquals(Volatile.Read(ref attached), node.StateMachine))
            return;
        lock (gate)
        {
            var machine = node.StateMachine;
            if (ReferenceEquals(attached, machine))
                return;
            attach(machine);
            Volatile.Write(ref attached, machine);
        }
    }
}
