using KvDb.Core.Storage;
using Xunit.Abstractions;

namespace KvDb.Tests.Storage;

/// <summary>
/// Random operations against the engine and a sorted-dictionary model. Reopening drops what was not
/// flushed, as a restart does; the test then checks the engine equals the model as of DurableIndex
/// and replays the lost batches, as the Raft log would.
/// </summary>
public sealed class ModelBasedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Engine_matches_the_model_through_random_operations(int seed)
    {
        using var dir = new TempDirectory();
        var run = new ModelRun(seed, dir.Path);
        try
        {
            run.Execute(operations: 3000);
            output.WriteLine($"seed {seed}: {run.Summary}");
        }
        catch (Exception e)
        {
            output.WriteLine($"Model-based test failed with seed {seed} at operation {run.Step}: {e.Message}");
            throw new InvalidOperationException($"Model-based test failed with seed {seed} at operation {run.Step} ({run.LastOperation}).", e);
        }
        finally
        {
            run.Dispose();
        }
    }

    private sealed class ModelRun(int seed, string directory) : IDisposable
    {
        private readonly Random random = new(seed);
        private readonly KeyValueModel model = new();
        private readonly List<(long Index, List<(byte[] Key, byte[]? Value)> Operations)> log = [];
        private readonly List<(StorageView View, List<string> Expected)> views = [];
        private readonly StorageOptions options = TestData.Small();
        private StorageEngine engine = StorageEngine.Open(directory, TestData.Small());
        private long index;
        private long lastDurable;
        private int reopens;
        private int scans;

        public int Step { get; private set; }

        public string LastOperation { get; private set; } = "";

        public string Summary => $"{reopens} reopens, {scans} scans, stats {engine.Stats}";

        public void Execute(int operations)
        {
            for (Step = 0; Step < operations; Step++)
            {
                var roll = random.Next(1000);
                LastOperation = roll switch
                {
                    < 450 => Write(),
                    < 750 => Get(),
                    < 820 => Scan(),
                    < 850 => Flush(),
                    < 860 => CompactAll(),
                    < 875 => Reopen(),
                    < 890 => OpenView(),
                    < 900 => CheckViews(),
                    _ => WriteBatchOfMany(),
                };
            }

            CheckViews();
            Reopen();
            Compare(model, "final");
        }

        public void Dispose()
        {
            foreach (var (view, _) in views)
                view.Dispose();
            engine.Dispose();
        }

        private byte[] RandomKey()
        {
            var n = random.Next(400);
            // Mix short keys, long shared-prefix keys and high bytes to exercise unsigned order.
            return (n % 4) switch
            {
                0 => [(byte)(n * 7)],
                1 => TestData.Bytes($"user/{n:D4}/" + new string('p', n % 50)),
                _ => TestData.Key(n),
            };
        }

        private byte[] RandomValue()
        {
            var length = random.Next(20) == 0 ? random.Next(1000, 6000) : random.Next(0, 120);
            var value = new byte[length];
            random.NextBytes(value);
            return value;
        }

        private string Write() => Apply([(RandomKey(), random.Next(4) == 0 ? null : RandomValue())]);

        private string WriteBatchOfMany()
            => Apply(Enumerable.Range(0, random.Next(0, 8)).Select(_ => (RandomKey(), random.Next(3) == 0 ? (byte[]?)null : RandomValue())).ToList());

        private string Apply(List<(byte[] Key, byte[]? Value)> operations)
        {
            index += random.Next(1, 3);
            ApplyToEngine(index, operations);
            model.Apply(operations);
            log.Add((index, operations));
            return $"apply {operations.Count} ops at {index}";
        }

        private void ApplyToEngine(long at, List<(byte[] Key, byte[]? Value)> operations)
        {
            var batch = new WriteBatch();
            foreach (var (key, value) in operations)
            {
                if (value is null)
                    batch.Delete(key);
                else
                    batch.Put(key, value);
            }

            engine.Apply(batch, at, term: 1 + (at / 100));
        }

        private string Get()
        {
            var key = RandomKey();
            var found = engine.TryGet(key, out var value);
            found.Should().Be(model.Entries.TryGetValue(key, out var expected), $"presence of {Convert.ToHexString(key)}");
            if (found)
                value.Should().Equal(expected);
            return $"get {Convert.ToHexString(key)}";
        }

        private string Scan()
        {
            scans++;
            var a = random.Next(3) == 0 ? null : RandomKey();
            var b = random.Next(3) == 0 ? null : RandomKey();
            using var view = engine.OpenView();
            KeyValueModel.Describe(view.Scan(a, b)).Should().Equal(model.Describe(a, b));
            return "scan";
        }

        private string Flush()
        {
            engine.Flush();
            engine.DurableIndex.Should().Be(index);
            return "flush";
        }

        private string CompactAll()
        {
            engine.CompactAll();
            return "compact";
        }

        private string OpenView()
        {
            views.Add((engine.OpenView(), model.Describe()));
            return "open view";
        }

        private string CheckViews()
        {
            foreach (var (view, expected) in views)
            {
                KeyValueModel.Describe(view.Scan()).Should().Equal(expected, "a view never changes");
                view.Dispose();
            }

            views.Clear();
            return "check views";
        }

        private string Reopen()
        {
            reopens++;
            if (random.Next(2) == 0)
                engine.WaitForBackgroundWorkAsync().GetAwaiter().GetResult();
            engine.Dispose();
            engine = StorageEngine.Open(directory, options);

            var durable = engine.DurableIndex;
            durable.Should().BeInRange(lastDurable, index, "a restart reopens at a completed flush, never going back");
            engine.AppliedIndex.Should().Be(durable);
            lastDurable = durable;
            var atDurable = new KeyValueModel();
            foreach (var (at, operations) in log.Where(e => e.Index <= durable))
                atDurable.Apply(operations);
            Compare(atDurable, $"after reopen at durable index {durable}");

            // Replay the log after the durable index, as the Raft state machine does on restart.
            foreach (var (at, operations) in log.Where(e => e.Index > durable))
                ApplyToEngine(at, operations);
            Compare(model, "after replay");
            return "reopen";
        }

        private void Compare(KeyValueModel expected, string when)
            => KeyValueModel.Describe(engine.ScanAll()).Should().Equal(expected.Describe(), when);
    }
}
