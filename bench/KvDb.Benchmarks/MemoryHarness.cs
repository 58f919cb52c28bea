// Loads N keys x 1 KiB values through the engine with default options and reports the
// process's resident memory during and after the load, then the time to reopen the
// store and serve a first read. Run: dotnet run -c Release -- memory [N]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using KvDb.Core.Storage;

namespace KvDb.Benchmarks;

internal static class MemoryHarness
{
    private const int ValueLength = 1024;
    private const int KeysPerBatch = 16;

    public static int Run(int count)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvdb-memory", Guid.NewGuid().ToString("N"));
        try
        {
            Load(directory, count);
            Reopen(directory, count);
            return 0;
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    private static void Load(string directory, int count)
    {
        var random = new Random(1);
        var value = new byte[ValueLength];
        var batch = new WriteBatch();
        long peakRss = 0;
        var clock = Stopwatch.StartNew();
        using var engine = StorageEngine.Open(directory, new StorageOptions());
        for (var i = 0; i < count; i += KeysPerBatch)
        {
            batch.Clear();
            for (var k = i; k < Math.Min(count, i + KeysPerBatch); k++)
            {
                random.NextBytes(value);
                batch.Put(Key(Scramble(k, count)), value);
            }

            engine.Apply(batch, (i / KeysPerBatch) + 1, term: 1);
            if (i % 8192 == 0)
                peakRss = Math.Max(peakRss, ReadStatus("VmRSS"));
        }

        var loadTime = clock.Elapsed;
        engine.Flush();
        engine.WaitForBackgroundWorkAsync().GetAwaiter().GetResult();
        var settled = clock.Elapsed;
        var stats = engine.Stats;
        Report("load", $"{count:N0} keys x {ValueLength} B in {loadTime.TotalSeconds:F1} s ({count / loadTime.TotalSeconds:N0} keys/s); flushed and compacted by {settled.TotalSeconds:F1} s");
        Report("rss", $"sampled peak during load {Mib(peakRss)}; VmHWM {Mib(ReadStatus("VmHWM"))}; now {Mib(ReadStatus("VmRSS"))}; managed heap {Mib(GC.GetTotalMemory(false))}");
        Report("engine", $"tables per level [{string.Join(", ", stats.TablesPerLevel)}], {Mib(stats.TotalTableBytes)} on disk, {stats.CompactionsCompleted} compactions, {Mib(stats.BytesCompactedWritten)} compacted, cache {Mib(stats.CacheBytes)}");
    }

    private static void Reopen(string directory, int count)
    {
        var clock = Stopwatch.StartNew();
        using var engine = StorageEngine.Open(directory, new StorageOptions());
        var opened = clock.Elapsed;
        var found = engine.TryGet(Key(count / 2), out var value);
        var firstRead = clock.Elapsed;
        if (!found || value!.Length != ValueLength)
            throw new InvalidOperationException("The first read after reopening did not find its key.");
        var random = new Random(3);
        var reads = Stopwatch.StartNew();
        for (var i = 0; i < 10_000; i++)
        {
            if (!engine.TryGet(Key(random.Next(count)), out _))
                throw new InvalidOperationException("A loaded key is missing.");
        }

        Report("reopen", $"open {opened.TotalMilliseconds:F1} ms, first read done at {firstRead.TotalMilliseconds:F1} ms; 10,000 cold-ish random reads in {reads.Elapsed.TotalMilliseconds:F0} ms; durable index {engine.DurableIndex:N0}");
    }

    /// <summary>Visits keys in a scrambled but complete order, so tables overlap like a random workload.</summary>
    private static int Scramble(int i, int count) => (int)(((long)i * 7_919) % count);

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes(i.ToString("'user'000000000", CultureInfo.InvariantCulture));

    private static long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }

        return 0;
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";

    private static void Report(string what, string text) => Console.WriteLine($"{what,-8} {text}");
}
