using System.Text;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Commands;
using KvDb.Core.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Core;

public sealed class KvStateMachineTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kvdb-sm-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private KvStateMachine Create(InMemoryKeyValueStore store, long interval = 1000)
        => new(store, new KvStateMachineOptions { SnapshotDirectory = directory, SnapshotInterval = interval }, NullLogger.Instance);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static StoreBatch Batch(string key, string value)
    {
        var batch = new StoreBatch();
        batch.Put(Bytes(key), Bytes(value));
        return batch;
    }

    [Fact]
    public async Task A_snapshot_restores_every_key_after_a_restart()
    {
        using var store = new InMemoryKeyValueStore();
        await using (var machine = Create(store, interval: 10))
        {
            for (var i = 1; i <= 25; i++)
                store.Write(i, Batch($"k{i}", $"v{i}"));
            using var view = store.OpenView();
            var file = await SnapshotFile.WriteAsync(directory, view, term: 3, CancellationToken.None);
            file.Index.Should().Be(25);
        }

        using var restored = new InMemoryKeyValueStore();
        await using var again = Create(restored);
        again.Restore();

        again.AppliedIndex.Should().Be(25);
        again.SnapshotIndex.Should().Be(25);
        ((ISnapshotManager)again).Snapshot!.Term.Should().Be(3);
        restored.Count.Should().Be(25);
        restored.TryGet(Bytes("k17"), out var v).Should().BeTrue();
        v.Should().Equal(Bytes("v17"));
    }

    [Fact]
    public async Task A_corrupted_snapshot_refuses_to_load_and_names_the_file()
    {
        using var store = new InMemoryKeyValueStore();
        store.Write(1, Batch("k", "value"));
        using (var view = store.OpenView())
            await SnapshotFile.WriteAsync(directory, view, term: 1, CancellationToken.None);

        var path = Directory.GetFiles(directory, "*.snap").Single();
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^6] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        await using var machine = Create(new InMemoryKeyValueStore());
        machine.Invoking(m => m.Restore()).Should().Throw<InvalidDataException>().WithMessage($"*{Path.GetFileName(path)}*");
    }

    [Fact]
    public async Task A_truncated_snapshot_is_detected()
    {
        using var store = new InMemoryKeyValueStore();
        store.Write(1, Batch("k", new string('v', 1000)));
        using (var view = store.OpenView())
            await SnapshotFile.WriteAsync(directory, view, term: 1, CancellationToken.None);
        var path = Directory.GetFiles(directory, "*.snap").Single();
        await using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(stream.Length / 2);

        await using var machine = Create(new InMemoryKeyValueStore());
        machine.Invoking(m => m.Restore()).Should().Throw<InvalidDataException>().WithMessage($"*{Path.GetFileName(path)}*corrupted*");
    }

    [Fact]
    public async Task Half_written_snapshots_from_a_crash_are_ignored_and_removed()
    {
        await File.WriteAllTextAsync(Path.Combine(directory, SnapshotFile.FileName(50, 1) + ".tmp"), "garbage");
        await using var machine = Create(new InMemoryKeyValueStore());
        machine.Restore();
        machine.AppliedIndex.Should().Be(0);
        Directory.GetFiles(directory).Should().BeEmpty();
    }
}
