// An in-memory store that records where each scan of its views starts, for tests that check a
// scan does not step over what was already deleted.
using KvDb.Core.State;

namespace KvDb.Tests.State;

internal sealed class ScanRecordingStore : IKeyValueStore
{
    private readonly InMemoryKeyValueStore inner = new();

    public List<byte[]> ScanStarts { get; } = [];

    public long AppliedIndex => inner.AppliedIndex;

    public long Count => inner.Count;

    public void Write(long index, long term, StoreBatch batch) => inner.Write(index, term, batch);

    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => inner.TryGet(key, out value);

    public IKeyValueView OpenView() => new View(inner.OpenView(), ScanStarts);

    public void Dispose() => inner.Dispose();

    private sealed class View(IKeyValueView inner, List<byte[]> starts) : IKeyValueView
    {
        public long Index => inner.Index;

        public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => inner.TryGet(key, out value);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive = null, byte[]? endExclusive = null)
        {
            starts.Add(startInclusive ?? []);
            return inner.Scan(startInclusive, endExclusive);
        }

        public void Dispose() => inner.Dispose();
    }
}
