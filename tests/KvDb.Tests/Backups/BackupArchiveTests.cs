// The backup file format and restore, without a cluster: a backup made from an engine restores
// the same keys into a new member's data directory with the new membership and a new cluster
// id one revision later (term 0), and any damage is refused before anything is written.
using System.Text;
using KvDb.Core.Backups;
using KvDb.Core.State;
using KvDb.Core.Storage;
using KvDb.Tests.Storage;

namespace KvDb.Tests.Backups;

public sealed class BackupArchiveTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static readonly string[] NewCluster = ["http://127.0.0.1:7001", "http://127.0.0.1:7002", "http://127.0.0.1:7003"];

    // A state like a member's: user keys over many entries, the old membership map and cluster id.
    private StorageEngine Populated(int keys)
    {
        var engine = StorageEngine.Open(dir.Sub("source"), new StorageOptions());
        var index = 10L;
        var setup = new WriteBatch();
        setup.Put(StoreKeys.ForMember(1), "http://10.0.0.1:2379"u8.ToArray());
        setup.Put(StoreKeys.ForMember(2), "http://10.0.0.2:2379"u8.ToArray());
        setup.Put(StoreKeys.ForMember(5), "http://10.0.0.5:2379"u8.ToArray());
        setup.Put(ClusterId.Key, "0123456789abcdef"u8.ToArray());
        engine.Apply(setup, index++, 3);
        for (var i = 0; i < keys; i += 50)
        {
            var batch = new WriteBatch();
            for (var j = i; j < Math.Min(keys, i + 50); j++)
                batch.Put(StoreKeys.ForUser(Encoding.UTF8.GetBytes($"key/{j:D6}")), Encoding.UTF8.GetBytes($"value {j}"));
            engine.Apply(batch, index++, 3);
        }

        return engine;
    }

    private static async Task<(byte[] Bytes, BackupManifest Manifest)> BackupAsync(StorageEngine engine)
    {
        await engine.FlushAsync();
        using var checkpoint = engine.OpenCheckpoint();
        using var stream = new MemoryStream();
        var manifest = await BackupArchive.WriteAsync(stream, checkpoint, new BackupOrigin("0123456789abcdef", 1, "test"), CancellationToken.None);
        return (stream.ToArray(), manifest);
    }

    [Fact]
    public async Task A_backup_names_its_revision_and_the_sha256_of_its_archive()
    {
        using var engine = Populated(1000);
        var (bytes, manifest) = await BackupAsync(engine);

        manifest.Revision.Should().Be(engine.AppliedIndex);
        manifest.Term.Should().Be(3);
        manifest.ClusterId.Should().Be("0123456789abcdef");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, (int)manifest.ArchiveBytes)));
        manifest.Sha256.Should().Be(hash);
        (await BackupArchive.ReadManifestFromEndAsync(new MemoryStream(bytes), CancellationToken.None)).Should().Be(manifest);
    }

    [Fact]
    public async Task Status_verifies_a_backup_and_counts_its_keys_and_members()
    {
        using var engine = Populated(1234);
        var (bytes, manifest) = await BackupAsync(engine);

        var summary = await BackupRestore.InspectAsync(new MemoryStream(bytes), CancellationToken.None);

        summary.Manifest.Should().Be(manifest);
        summary.Keys.Should().Be(1234);
        summary.Members.Keys.Should().Equal(1, 2, 5);
    }

    [Fact]
    public async Task A_restore_keeps_every_key_and_gives_a_new_membership_and_cluster_id_one_revision_later()
    {
        using var source = Populated(3000);
        var (bytes, manifest) = await BackupAsync(source);
        var target = dir.Sub("restored");

        var restored = await BackupRestore.RestoreAsync(new MemoryStream(bytes), target, NewCluster, CancellationToken.None);

        restored.Revision.Should().Be(manifest.Revision + 1);
        restored.Keys.Should().Be(3000);
        restored.ClusterId.Should().Be(ClusterId.ForRestore(manifest.Sha256, NewCluster)).And.NotBe("0123456789abcdef");
        using var engine = StorageEngine.Open(Path.Combine(target, "db"), new StorageOptions());
        engine.DurableIndex.Should().Be(manifest.Revision + 1, "the member starts from the restored state as from a snapshot");
        engine.DurableTerm.Should().Be(0, "any term a new leader is elected in is above it");
        using var view = engine.OpenView();
        MembershipMap.Read(view).Should().Equal(new SortedDictionary<int, string> { [1] = NewCluster[0], [2] = NewCluster[1], [3] = NewCluster[2] });
        ClusterId.Read(view).Should().Be(restored.ClusterId);
        using var original = source.OpenView();
        view.Scan(StoreKeys.Start(StoreKeys.User), StoreKeys.End(StoreKeys.User)).Select(static p => Encoding.UTF8.GetString(p.Key) + "=" + Encoding.UTF8.GetString(p.Value))
            .Should().Equal(original.Scan(StoreKeys.Start(StoreKeys.User), StoreKeys.End(StoreKeys.User)).Select(static p => Encoding.UTF8.GetString(p.Key) + "=" + Encoding.UTF8.GetString(p.Value)));
    }

    [Fact]
    public async Task Members_restored_separately_agree_on_the_new_cluster_id()
    {
        using var source = Populated(100);
        var (bytes, _) = await BackupAsync(source);

        var first = await BackupRestore.RestoreAsync(new MemoryStream(bytes), dir.Sub("m1"), NewCluster, CancellationToken.None);
        var second = await BackupRestore.RestoreAsync(new MemoryStream(bytes), dir.Sub("m2"), NewCluster, CancellationToken.None);
        var elsewhere = await BackupRestore.RestoreAsync(new MemoryStream(bytes), dir.Sub("m3"), ["http://127.0.0.1:9001"], CancellationToken.None);

        second.ClusterId.Should().Be(first.ClusterId);
        elsewhere.ClusterId.Should().NotBe(first.ClusterId);
    }

    public static TheoryData<string> Damages => new() { "flipped byte in a table", "flipped byte in the trailer", "truncated", "trailer missing", "bytes appended" };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_backup_is_refused_with_a_clear_message_and_nothing_is_restored(string damage)
    {
        using var source = Populated(2000);
        var (bytes, manifest) = await BackupAsync(source);
        var damaged = damage switch
        {
            "flipped byte in a table" => Flip(bytes, (int)(manifest.ArchiveBytes / 2)),
            "flipped byte in the trailer" => Flip(bytes, bytes.Length - 30),
            "truncated" => bytes[..(bytes.Length / 3)],
            "trailer missing" => bytes[..(int)manifest.ArchiveBytes],
            _ => [.. bytes, 0],
        };
        var target = dir.Sub("restored");

        var restore = () => BackupRestore.RestoreAsync(new MemoryStream(damaged), target, NewCluster, CancellationToken.None);
        var inspect = () => BackupRestore.InspectAsync(new MemoryStream(damaged), CancellationToken.None);

        (await restore.Should().ThrowAsync<BackupCorruptException>()).Which.Message.Should().NotBeNullOrWhiteSpace();
        await inspect.Should().ThrowAsync<BackupCorruptException>();
        Directory.Exists(target).Should().BeFalse("a refused backup leaves no data directory behind");
    }

    [Fact]
    public async Task A_restore_never_writes_into_a_data_directory_that_holds_anything()
    {
        using var source = Populated(10);
        var (bytes, _) = await BackupAsync(source);
        var target = dir.Sub("busy");
        Directory.CreateDirectory(target);
        await File.WriteAllTextAsync(Path.Combine(target, "something"), "x");

        var restore = () => BackupRestore.RestoreAsync(new MemoryStream(bytes), target, NewCluster, CancellationToken.None);

        (await restore.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("not empty");
        Directory.EnumerateFileSystemEntries(target).Should().ContainSingle();
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x5a;
        return copy;
    }
}
