// `kvdb snapshot`'s command line: each verb's flags, the errors people make, and the flags of
// scheduled backups on kvdb itself.
using KvDb.Node.Backups;

namespace KvDb.Tests.Backups;

public sealed class SnapshotCommandLineTests
{
    [Fact]
    public void Save_takes_a_file_and_the_bench_connection_flags()
    {
        var save = SnapshotCommandLine.Parse(["save", "b.snapshot", "--endpoints", "http://127.0.0.1:1,http://127.0.0.1:2", "--user", "root:pw"])
            .Should().BeOfType<SnapshotRequest.Save>().Subject;
        save.File.Should().Be("b.snapshot");
        save.Endpoints.Select(static e => e.ToString()).Should().Equal("http://127.0.0.1:1/", "http://127.0.0.1:2/");
        save.Authorization.Should().StartWith("Basic ");
        SnapshotCommandLine.Parse(["save", "b"]).Should().BeOfType<SnapshotRequest.Save>().Which.Endpoints.Should().ContainSingle().Which.ToString().Should().Be("http://127.0.0.1:12380/");
    }

    [Fact]
    public void Restore_needs_a_data_directory_an_id_and_the_new_cluster()
    {
        var restore = SnapshotCommandLine.Parse(["restore", "s3://b-1/p/latest", "--data-dir", "d", "--id", "2", "--cluster", "http://127.0.0.1:1,http://127.0.0.1:2"])
            .Should().BeOfType<SnapshotRequest.Restore>().Subject;
        restore.Id.Should().Be(2);
        restore.ClusterUrls.Should().HaveCount(2);

        SnapshotCommandLine.Parse(["restore", "f", "--data-dir", "d"]).Should().BeOfType<SnapshotRequest.Error>().Which.Message.Should().Contain("--id");
        SnapshotCommandLine.Parse(["restore", "f", "--data-dir", "d", "--id", "3", "--cluster", "http://127.0.0.1:1"]).Should().BeOfType<SnapshotRequest.Error>().Which.Message.Should().Contain("outside --cluster");
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("status")]
    [InlineData("save", "f", "--token", "t", "--user", "a:b")]
    [InlineData("status", "f", "--bogus")]
    public void Mistakes_are_one_line_errors(params string[] args)
        => SnapshotCommandLine.Parse(args).Should().BeOfType<SnapshotRequest.Error>().Which.Message.Should().NotContain("\n");

    [Fact]
    public void Help_lists_the_three_commands()
        => SnapshotCommandLine.Parse(["--help"]).Should().BeOfType<SnapshotRequest.Print>().Which.Text
            .Should().Contain("snapshot save").And.Contain("snapshot status").And.Contain("snapshot restore");

    [Theory]
    [InlineData("s3://my-bucket/a/b/", BackupStoreKind.S3, "my-bucket", "a/b")]
    [InlineData("s3://my-bucket", BackupStoreKind.S3, "my-bucket", "")]
    [InlineData("file:///srv/backups/", BackupStoreKind.File, "/srv/backups", "")]
    public void Locations_parse(string text, BackupStoreKind kind, string root, string prefix)
        => BackupLocation.Parse(text).Should().Be(new BackupLocation(kind, root, prefix));

    [Theory]
    [InlineData("s3://B/x")]
    [InlineData("file://host/dir")]
    [InlineData("/plain/path")]
    [InlineData("ftp://x/y")]
    public void Bad_locations_are_refused(string text)
        => FluentActions.Invoking(() => BackupLocation.Parse(text)).Should().Throw<FormatException>();

    [Fact]
    public void Kvdb_takes_the_scheduled_backup_flags()
    {
        var outcome = CommandLine.Parse(["--backup-to", "s3://bucket/kvdb", "--backup-interval", "30m", "--backup-retain", "5", "--backup-s3-endpoint", "http://127.0.0.1:9000"], static _ => null);
        var backup = outcome.Should().BeOfType<CommandLineOutcome.Run>().Which.Options.Backup;
        backup.Destination.Should().Be(new BackupLocation(BackupStoreKind.S3, "bucket", "kvdb"));
        backup.Interval.Should().Be(TimeSpan.FromMinutes(30));
        backup.Retain.Should().Be(5);
        backup.S3Endpoint.Should().Be("http://127.0.0.1:9000");
        CommandLine.Parse(["--backup-interval", "0s"], static _ => null).Should().BeOfType<CommandLineOutcome.Error>();
        CommandLine.Parse(["--backup-to", "nowhere"], static _ => null).Should().BeOfType<CommandLineOutcome.Error>();
    }

    [Fact]
    public void Backup_names_sort_by_revision()
    {
        var early = BackupSet.Name(99, DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var late = BackupSet.Name(100, DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        early.Should().Be("kvdb-00000000000000000099-20261204T100000Z.snapshot");
        BackupSet.IsBackupName(early).Should().BeTrue();
        string.CompareOrdinal(early, late).Should().BeNegative();
        BackupSet.IsBackupName("latest").Should().BeFalse();
    }
}
