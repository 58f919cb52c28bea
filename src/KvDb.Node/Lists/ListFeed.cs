// Wakes the followers of a list when an entry appends to it: one signal per list, shared by all
// its followers, so a thousand followers of one list cost one wake-up per append, and followers
// of other lists are not disturbed at all.
// Invariant: a follower takes the list's signal before it reads, so an append applied after its
// read always completes a signal it holds (no lost wake-up).
using System.Collections.Concurrent;
using System.Text;
using KvDb.Node.Raft;

namespace KvDb.Node.Lists;

/// <summary>Signals appends per list.</summary>
public sealed class ListFeed
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiting = new();
    private readonly MachineSubscription subscription;

    /// <summary>A feed of the appends <paramref name="state"/> applies.</summary>
    public ListFeed(LocalState state)
        => subscription = state.Subscribe(machine => machine.ListAppended += (keyspace, key, _) =>
        {
            if (waiting.TryRemove(Name(keyspace, key), out var signal))
                signal.TrySetResult();
        });

    /// <summary>Completes when list <paramref name="key"/> of <paramref name="keyspace"/> is next appended to.</summary>
    public Task Appended(string keyspace, byte[] key)
    {
        subscription.Ensure();
        return waiting.GetOrAdd(Name(keyspace, key), static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    private static string Name(string keyspace, byte[] key) => keyspace + "\u0000" + Encoding.UTF8.GetString(key);
}
