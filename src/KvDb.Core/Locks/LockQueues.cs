// Lock and election contenders queue as create-only keys under one prefix per lock or
// election (_locks/NAME/, _elections/NAME/). Their create revisions order the queue and serve
// as fencing tokens, so two contenders of one queue must never share an entry.
using KvDb.Core.Commands;

namespace KvDb.Core.Locks;

/// <summary>Registers lock and election queues as exclusive batching groups.</summary>
public sealed class LocksModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry.AddExclusiveGroup(LockQueues.QueueOf);
}

/// <summary>Names the queue a lock or election key belongs to.</summary>
public static class LockQueues
{
    /// <summary>The queue (its prefix, as bytes) a lock or election key belongs to, or null for other keys.</summary>
    public static byte[]? QueueOf(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = key.AsSpan();
        if (!text.StartsWith("_locks/"u8) && !text.StartsWith("_elections/"u8))
            return null;
        var slash = text.LastIndexOf((byte)'/');
        return [.. "queue:"u8, .. text[..(slash + 1)]];
    }
}
