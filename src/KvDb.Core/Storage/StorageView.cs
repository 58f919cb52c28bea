// A consistent point-in-time view of the engine.
// Invariants:
//  - Reads at one sequence over one ReadState: later writes, flushes, compactions and
//    checkpoint installs never show through.
//  - Pins the memtables and tables it reads until disposed (so a long-lived view holds
//    disk space of compacted-away tables); each scan also pins them while it runs, so a
//    scan that outlives Dispose still completes correctly.
//  - Thread-safe: any number of threads may read one view.
using KvDb.Core.State;

namespace KvDb.Core.Storage;

/// <summary>A consistent, point-in-time image of a <see cref="StorageEngine"/>; dispose to release the files it pins.</summary>
public sealed class StorageView : IKeyValueView
{
    private readonly ApplyPoint point;
    private ReadState? state;

    internal StorageView(ReadState state, ApplyPoint point)
    {
        this.state = state;
        this.point = point;
    }

    /// <summary>The Raft index of the last batch the view includes.</summary>
    public long Index => point.Index;

    /// <summary>The Raft term of the last batch the view includes.</summary>
    public long Term => point.Term;

    /// <summary>Reads <paramref name="key"/> as of <see cref="Index"/>.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value)
    {
        var pinned = Pin();
        try
        {
            return pinned.TryGet(key, point.Sequence, out value);
        }
        finally
        {
            pinned.Release();
        }
    }

    /// <summary>Enumerates live keys in unsigned byte order from <paramref name="startInclusive"/> up to <paramref name="endExclusive"/> (null = unbounded).</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive = null, byte[]? endExclusive = null)
    {
        ObjectDisposedException.ThrowIf(state is null, this);
        return ScanPinned(startInclusive, endExclusive);
    }

    /// <summary>Enumerates live keys from <paramref name="startInclusive"/> up to <paramref name="endExclusive"/>.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> startInclusive, byte[]? endExclusive)
        => Scan(startInclusive.ToArray(), endExclusive);

    /// <summary>Enumerates the live keys that start with <paramref name="prefix"/>.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanPrefix(ReadOnlySpan<byte> prefix)
        => Scan(prefix.ToArray(), PrefixEnd(prefix));

    /// <summary>Releases the pinned memtables and tables.</summary>
    public void Dispose() => Interlocked.Exchange(ref state, null)?.Release();

    /// <summary>The smallest key greater than every key with <paramref name="prefix"/>, or null when there is none.</summary>
    internal static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != 0xFF)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return end;
            }
        }

        return null;
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanPinned(byte[]? startInclusive, byte[]? endExclusive)
    {
        var pinned = Pin();
        try
        {
            using var entries = new UserIterator(pinned.NewIterator(), point.Sequence, endExclusive);
            if (startInclusive is null)
                entries.SeekToFirst();
            else
                entries.Seek(startInclusive);
            while (entries.MoveNext())
                yield return new(entries.Key.ToArray(), entries.Value.ToArray());
        }
        finally
        {
            pinned.Release();
        }
    }

    private ReadState Pin()
    {
        var pinned = Volatile.Read(ref state);
        ObjectDisposedException.ThrowIf(pinned is null || !pinned.TryAcquire(), this);
        return pinned;
    }
}
