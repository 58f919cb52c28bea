// The leases that exist at this member's applied state, in memory, for the leader's expiry
// clock and for answers that list leases without scanning the store.
// Invariants:
//  - Mirrors the store's lease namespace after every applied entry: CommandExecutor changes it
//    only after the entry's batch is written, and Reload rebuilds it from the store at start-up.
//  - After a snapshot install it is marked stale (Invalidate) instead of read on the applier:
//    the first reader reloads it from the store under the table's lock, and changes applied
//    while it is stale are skipped, since the reload reads them from the store (an entry is
//    written to the store before its change reaches the table, and both take the lock).
//  - Version grows with every change, so a reader can tell cheaply that nothing changed.
//  - A lease's stored form is its TTL and grant index (16 bytes), then its owner's name in
//    UTF-8 when it has one: a record of an earlier release (no owner) reads as ownerless, and an
//    earlier release reads the first 16 bytes of ours. Being in the store, owners travel with
//    snapshots and backups.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using KvDb.Core.State;

namespace KvDb.Core.Leases;

/// <summary>A lease as the replicated state knows it.</summary>
/// <param name="Id">The lease's id.</param>
/// <param name="TtlMs">Its time to live in milliseconds.</param>
/// <param name="GrantedAt">The index of the entry that granted it.</param>
/// <param name="Owner">The user who granted it while auth was on; null when it was granted with auth off.</param>
public readonly record struct LeaseInfo(long Id, long TtlMs, long GrantedAt, string? Owner = null);

/// <summary>The leases of the applied state.</summary>
public sealed class LeaseTable
{
    private readonly ConcurrentDictionary<long, LeaseInfo> leases = new();
    private readonly Lock gate = new();
    private IKeyValueStore? staleSource;
    private long version;

    /// <summary>How many leases exist.</summary>
    public int Count
    {
        get
        {
            EnsureFresh();
            return leases.Count;
        }
    }

    /// <summary>Grows with every change.</summary>
    public long Version
    {
        get
        {
            EnsureFresh();
            return Volatile.Read(ref version);
        }
    }

    /// <summary>The lease <paramref name="id"/>, if it exists.</summary>
    public bool TryGet(long id, out LeaseInfo lease)
    {
        EnsureFresh();
        return leases.TryGetValue(id, out lease);
    }

    /// <summary>Every lease, in no particular order.</summary>
    public IReadOnlyCollection<LeaseInfo> All()
    {
        EnsureFresh();
        return [.. leases.Values];
    }

    /// <summary>Rebuilds the table from <paramref name="store"/>.</summary>
    public void Reload(IKeyValueStore store)
    {
        lock (gate)
        {
            Load(store);
            staleSource = null;
        }
    }

    /// <summary>Marks the table stale after <paramref name="store"/> was replaced wholesale; the next reader reloads it.</summary>
    public void Invalidate(IKeyValueStore store)
    {
        lock (gate)
        {
            staleSource = store;
            Interlocked.Increment(ref version);
        }
    }

    internal void Set(LeaseInfo lease)
    {
        lock (gate)
        {
            if (staleSource is not null)
                return;
            leases[lease.Id] = lease;
            Interlocked.Increment(ref version);
        }
    }

    internal void Remove(long id)
    {
        lock (gate)
        {
            if (staleSource is not null)
                return;
            leases.TryRemove(id, out _);
            Interlocked.Increment(ref version);
        }
    }

    private void EnsureFresh()
    {
        if (Volatile.Read(ref staleSource) is null)
            return;
        lock (gate)
        {
            if (staleSource is { } store)
            {
                Load(store);
                staleSource = null;
            }
        }
    }

    private void Load(IKeyValueStore store)
    {
        using var view = store.OpenView();
        leases.Clear();
        foreach (var (key, value) in view.Scan(StoreKeys.Start(StoreKeys.Lease), StoreKeys.End(StoreKeys.Lease)))
        {
            var id = StoreKeys.LeaseId(key);
            leases[id] = Decode(id, value);
        }

        Interlocked.Increment(ref version);
    }

    private const int FixedSize = 2 * sizeof(long);

    /// <summary>The stored form of a lease (see the invariants above).</summary>
    public static byte[] Encode(long ttlMs, long grantedAt, string? owner = null)
    {
        var bytes = new byte[FixedSize + (owner is null ? 0 : Encoding.UTF8.GetByteCount(owner))];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ttlMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(sizeof(long)), grantedAt);
        if (owner is not null)
            Encoding.UTF8.GetBytes(owner, bytes.AsSpan(FixedSize));
        return bytes;
    }

    /// <summary>Reads the stored form of lease <paramref name="id"/>.</summary>
    public static LeaseInfo Decode(long id, ReadOnlySpan<byte> bytes)
        => new(
            id,
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[sizeof(long)..]),
            bytes.Length > FixedSize ? Encoding.UTF8.GetString(bytes[FixedSize..]) : null);
}
