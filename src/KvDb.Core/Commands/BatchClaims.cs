// The keys a batch being built already writes. A batch never holds two commands on the same
// key, so each write of a key gets its own revision (the index of its entry) and an ETag names
// exactly one value; handlers claim their keys here before their command joins.
using KvDb.Core.State;

namespace KvDb.Core.Commands;

/// <summary>What the batch being built has claimed; handlers take keys through it.</summary>
public sealed class BatchClaims(CommandRegistry registry)
{
    private readonly HashSet<byte[]> keys = new(ByteArrayComparer.Instance);

    /// <summary>Whether no command has joined the batch yet.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>Whether a command took the batch for itself: nothing else may join.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Starts a new batch.</summary>
    public void Clear()
    {
        keys.Clear();
        IsEmpty = true;
        IsClosed = false;
    }

    /// <summary>Asks <paramref name="handler"/> whether <paramref name="command"/> may join; if so it has taken its keys.</summary>
    public bool TryAdd(CommandHandler handler, KvCommand command)
    {
        if (IsClosed || !handler.TryClaim(command, this))
            return false;
        IsEmpty = false;
        return true;
    }

    /// <summary>Takes <paramref name="key"/>; false when the batch already writes it.</summary>
    public bool TryClaim(byte[] key) => keys.Add(key);

    /// <summary>Takes every key of <paramref name="all"/>, or none when the batch already writes any of them.</summary>
    public bool TryClaimAll(IReadOnlyCollection<byte[]> all)
    {
        foreach (var key in all)
        {
            if (keys.Contains(key))
                return false;
        }

        foreach (var key in all)
            keys.Add(key);
        return true;
    }

    /// <summary>
    /// Takes <paramref name="key"/> for a create-only put, and with it the key's exclusive group
    /// (a lock or election queue): at most one contender joins a queue per entry, so their create
    /// revisions (queue order, fencing tokens) differ.
    /// </summary>
    public bool TryClaimCreate(byte[] key)
    {
        if (registry.ExclusiveGroupOf(key) is not { } group)
            return keys.Add(key);
        if (keys.Contains(key) || !keys.Add(group))
            return false;
        keys.Add(key);
        return true;
    }

    /// <summary>Takes the whole batch: only when it is still empty, and nothing joins after.</summary>
    public bool TryClaimAlone()
    {
        if (!IsEmpty)
            return false;
        IsClosed = true;
        return true;
    }
}
