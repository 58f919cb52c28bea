using KvDb.Core.Storage;
using TableSet = KvDb.Core.Storage.TableSet;

namespace KvDb.Tests.Storage;

public sealed class ManifestTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static ManifestContent Content(long index, int tables)
    {
        var levels = new IReadOnlyList<FileMetadata>[TableSet.LevelCount];
        for (var level = 0; level < levels.Length; level++)
        {
            levels[level] = Enumerable.Range(0, level == 1 ? tables : 0)
                .Select(i => new FileMetadata((ulong)i + 3, 1000 + i, 10 + i,
                    InternalKey.Create(TestData.Key(i * 10), 1, EntryKind.Put), InternalKey.Create(TestData.Key((i * 10) + 9), 2, EntryKind.Delete)))
                .ToList();
        }

        return new ManifestContent(new ApplyPoint(99, index, 4), 77, levels);
    }

    [Fact]
    public void Round_trips_every_field()
    {
        var content = Content(index: 42, tables: 3);

        Manifest.Write(dir.Path, content);
        var read = Manifest.Read(dir.Path)!;

        read.Durable.Should().Be(content.Durable);
        read.NextFileNumber.Should().Be(77);
        read.Levels[1].Select(Describe).Should().Equal(content.Levels[1].Select(Describe));
        read.Levels.Where((_, l) => l != 1).Should().OnlyContain(l => l.Count == 0);
    }

    private static string Describe(FileMetadata t)
        => $"{t.Number} {t.Size} {t.EntryCount} {Convert.ToHexString(t.Smallest)} {Convert.ToHexString(t.Largest)}";

    [Fact]
    public void A_crash_before_the_rename_leaves_the_previous_manifest_in_force()
    {
        Manifest.Write(dir.Path, Content(index: 1, tables: 1));

        var crashing = () => Manifest.Write(dir.Path, Content(index: 2, tables: 5), _ => throw new IOException("simulated crash"));

        crashing.Should().Throw<IOException>();
        File.Exists(Path.Combine(dir.Path, "MANIFEST.tmp")).Should().BeTrue("the new manifest was fully written but not renamed");
        Manifest.Read(dir.Path)!.Durable.Index.Should().Be(1);
    }

    [Fact]
    public void Replacing_leaves_no_temporary_file()
    {
        Manifest.Write(dir.Path, Content(index: 1, tables: 1));
        Manifest.Write(dir.Path, Content(index: 2, tables: 2));

        Directory.GetFiles(dir.Path).Select(Path.GetFileName).Should().Equal("MANIFEST");
        Manifest.Read(dir.Path)!.Durable.Index.Should().Be(2);
    }

    [Fact]
    public void Missing_manifest_reads_as_none()
        => Manifest.Read(dir.Path).Should().BeNull();

    [Fact]
    public void Any_flipped_byte_or_truncation_throws_corruption_naming_the_file()
    {
        Manifest.Write(dir.Path, Content(index: 5, tables: 4));
        var path = Path.Combine(dir.Path, Manifest.FileName);
        var good = File.ReadAllBytes(path);

        for (var offset = 0; offset < good.Length; offset += 7)
        {
            var bad = (byte[])good.Clone();
            bad[offset] ^= 0x10;
            File.WriteAllBytes(path, bad);
            var read = () => Manifest.Read(dir.Path);
            read.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*");
        }

        File.WriteAllBytes(path, good[..^10]);
        ((Func<ManifestContent?>)(() => Manifest.Read(dir.Path))).Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*");
    }
}
