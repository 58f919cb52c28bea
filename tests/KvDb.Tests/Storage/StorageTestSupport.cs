// Helpers shared by the storage tests: temporary directories that always go away, small
// engine options that make flushes and compactions happen with little data, and key makers.
using System.Text;
using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

/// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvdb-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

internal static class TestData
{
    /// <summary>Options that flush every few KiB and compact early, so small tests exercise every path.</summary>
    public static StorageOptions Small(bool backgroundCompaction = true) => new()
    {
        MemtableBytes = 8 * 1024,
        BlockCacheBytes = 64 * 1024,
        BlockSize = 256,
        TargetTableBytes = 4 * 1024,
        Level0CompactionTrigger = 2,
        Level0StopWritesTrigger = 6,
        Level1MaxBytes = 16 * 1024,
        LevelSizeMultiplier = 4,
        BackgroundCompaction = backgroundCompaction,
    };

    public static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D6}");

    public static byte[] Value(int i, int round = 0, int length = 40)
    {
        var value = new byte[length];
        new Random(HashCode.Combine(i, round)).NextBytes(value);
        return value;
    }

    public static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static void Put(this StorageEngine engine, byte[] key, byte[] value, long index)
    {
        var batch = new WriteBatch();
        batch.Put(key, value);
        engine.Apply(batch, index, term: 1);
    }

    public static void Delete(this StorageEngine engine, byte[] key, long index)
    {
        var batch = new WriteBatch();
        batch.Delete(key);
        engine.Apply(batch, index, term: 1);
    }

    public static byte[]? Get(this StorageEngine engine, byte[] key) => engine.TryGet(key, out var value) ? value : null;

    public static List<KeyValuePair<byte[], byte[]>> ScanAll(this StorageEngine engine)
    {
        using var view = engine.OpenView();
        return view.Scan().ToList();
    }
}

/// <summary>The reference the engine is checked against: a sorted map in unsigned byte order.</summary>
internal sealed class KeyValueModel
{
    public SortedDictionary<byte[], byte[]> Entries { get; } = new(KvDb.Core.State.ByteArrayComparer.Instance);

    public void Apply(IEnumerable<(byte[] Key, byte[]? Value)> operations)
    {
        foreach (var (key, value) in operations)
        {
            if (value is null)
                Entries.Remove(key);
            else
                Entries[key] = value;
        }
    }

    public KeyValueModel Clone()
    {
        var copy = new KeyValueModel();
        foreach (var (key, value) in Entries)
            copy.Entries.Add(key, value);
        return copy;
    }

    public List<string> Describe(byte[]? start = null, byte[]? end = null)
        => Entries.Where(kv => (start is null || kv.Key.AsSpan().SequenceCompareTo(start) >= 0) && (end is null || kv.Key.AsSpan().SequenceCompareTo(end) < 0))
            .Select(kv => Describe(kv)).ToList();

    public static string Describe(KeyValuePair<byte[], byte[]> kv) => $"{Convert.ToHexString(kv.Key)}={Convert.ToHexString(kv.Value)}";

    public static List<string> Describe(IEnumerable<KeyValuePair<byte[], byte[]>> entries) => entries.Select(Describe).ToList();
}
