// Throughput of the storage engine with default options: filling (sequential and random
// keys, 100-byte values, one key per batch, ending with a flush to a table), random point
// reads of present keys, and a prefix scan returning 100 keys. Reads run against a
// compacted store whose blocks fit the default 32 MiB cache, i.e. the warm-cache case.
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using KvDb.Core.Storage;

namespace KvDb.Benchmarks;

[ShortRunJob]
[MemoryDiagnoser]
public class StorageBenchmarks
{
    private const int FillCount = 200_000;
    private const int ReadCount = 10_000;
    private const int ScanCount = 1_000;
    private const int ValueLength = 100;

    private readonly byte[] value = new byte[ValueLength];
    private readonly WriteBatch batch = new();
    private byte[][] sequentialKeys = [];
    private byte[][] randomKeys = [];
    private byte[][] prefixes = [];
    private string directory = "";
    private StorageEngine? engine;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(value);
        sequentialKeys = Enumerable.Range(0, FillCount).Select(Key).ToArray();
        var random = new Random(2);
        randomKeys = sequentialKeys.OrderBy(_ => random.Next()).ToArray();
        prefixes = Enumerable.Range(0, ScanCount).Select(_ => Encoding.ASCII.GetBytes($"key{random.Next(FillCount / 100):D6}")).ToArray();
    }

    [IterationSetup(Targets = [nameof(FillSequential), nameof(FillRandom)])]
    public void CreateEmptyEngine() => engine = StorageEngine.Open(NewDirectory(), new StorageOptions());

    [IterationCleanup(Targets = [nameof(FillSequential), nameof(FillRandom)])]
    public void DeleteEngine() => Close();

    [GlobalSetup(Targets = [nameof(RandomRead), nameof(PrefixScan100)])]
    public void LoadEngine()
    {
        Setup();
        engine = StorageEngine.Open(NewDirectory(), new StorageOptions());
        Fill(randomKeys);
        engine.CompactAll();
        engine.WaitForBackgroundWorkAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup(Targets = [nameof(RandomRead), nameof(PrefixScan100)])]
    public void CloseEngine() => Close();

    [Benchmark(OperationsPerInvoke = FillCount)]
    public void FillSequential() => Fill(sequentialKeys);

    [Benchmark(OperationsPerInvoke = FillCount)]
    public void FillRandom() => Fill(randomKeys);

    [Benchmark(OperationsPerInvoke = ReadCount)]
    public int RandomRead()
    {
        var found = 0;
        for (var i = 0; i < ReadCount; i++)
        {
            if (engine!.TryGet(randomKeys[i], out var v))
                found += v!.Length;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = ScanCount)]
    public int PrefixScan100()
    {
        var seen = 0;
        using var view = engine!.OpenView();
        foreach (var prefix in prefixes)
        {
            foreach (var _ in view.ScanPrefix(prefix))
                seen++;
        }

        if (seen != ScanCount * 100)
            throw new InvalidOperationException($"Expected {ScanCount * 100} keys, scanned {seen}.");
        return seen;
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes(i.ToString("'key'00000000", CultureInfo.InvariantCulture));

    private void Fill(byte[][] keys)
    {
        var index = engine!.AppliedIndex;
        foreach (var key in keys)
        {
            batch.Clear();
            batch.Put(key, value);
            engine.Apply(batch, ++index, term: 1);
        }

        engine.Flush();
    }

    private string NewDirectory()
    {
        directory = Path.Combine(Path.GetTempPath(), "kvdb-bench", Guid.NewGuid().ToString("N"));
        return directory;
    }

    private void Close()
    {
        engine?.Dispose();
        engine = null;
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }
}
