// The writes of one applied log entry, handed to the store in one piece so readers see all
// of them or none.
namespace KvDb.Core.State;

/// <summary>An ordered set of puts and deletes applied atomically; a later write to a key wins.</summary>
public sealed class StoreBatch
{
    private readonly Dictionary<byte[], byte[]?> latest = new(ByteArrayComparer.Instance);
    private readonly List<byte[]> order = [];

    /// <summary>The number of distinct keys written.</summary>
    public int Count => order.Count;

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>.</summary>
    public void Put(byte[] key, byte[] value) => Set(key, value);

    /// <summary>Removes <paramref name="key"/>.</summary>
    public void Delete(byte[] key) => Set(key, null);

    /// <summary>What this batch has written for <paramref name="key"/> so far: found with null for a delete.</summary>
    public bool TryGetPending(byte[] key, out byte[]? value) => latest.TryGetValue(key, out value);

    /// <summary>The writes in first-write order, each key once with its latest value (null = delete).</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]?>> Writes()
    {
        foreach (var key in order)
            yield return new(key, latest[key]);
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        latest.Clear();
        order.Clear();
    }

    private void Set(byte[] key, byte[]? value)
    {
        if (!latest.ContainsKey(key))
            order.Add(key);
        latest[key] = value;
    }
}
