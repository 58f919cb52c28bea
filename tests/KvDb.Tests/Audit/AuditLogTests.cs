// The audit log's writer on its own: lines reach the file in order and whole, the file is
// rotated by size keeping N old ones, a full queue and a file that cannot be written drop lines
// (counted, warned about) and never block or throw, and stopping drains what was queued.
using System.Text.Json;
using KvDb.Node.Audit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvDb.Tests.Audit;

public sealed class AuditLogTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kvdb-audit-").FullName;
    private readonly LogCapture logs = new();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string FilePath => Path.Combine(directory, "audit.log");

    private AuditLog NewLog(string? path = null, long maxBytes = 100L << 20, int maxFiles = 5, int capacity = 8192)
        => new(Options.Create(new AuditOptions { FilePath = path ?? FilePath, MaxFileBytes = maxBytes, MaxFiles = maxFiles, QueueCapacity = capacity }),
            new Logger<AuditLog>(logs), TimeProvider.System);

    private static AuditLine Line(int n) => new()
    {
        Time = DateTime.UtcNow,
        Kind = AuditKinds.Request,
        Member = 1,
        User = "ann",
        Client = "127.0.0.1",
        Method = "PUT",
        Route = "/v1/kv/{**key}",
        Path = $"/v1/kv/k{n:D6}",
        Key = $"k{n:D6}",
        Status = 204,
        Revision = n,
    };

    private static List<long> Revisions(string path)
        => [.. File.ReadAllLines(path).Select(static l => JsonDocument.Parse(l).RootElement.GetProperty("revision").GetInt64())];

    [Fact]
    public async Task Rotation_by_size_keeps_the_newest_N_files_each_under_the_limit()
    {
        const int MaxBytes = 2048;
        var log = NewLog(maxBytes: MaxBytes, maxFiles: 3);
        await log.StartAsync(CancellationToken.None);
        for (var i = 0; i < 300; i++)
            log.Record(Line(i));
        await log.StopAsync(CancellationToken.None);

        log.Dropped.Should().Be(0);
        log.Written.Should().Be(300);
        Directory.GetFiles(directory).Select(Path.GetFileName).Should().BeEquivalentTo(["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);

        // Oldest to newest: .3, .2, .1, then the file being written; together a run of
        // consecutive lines ending with the last one recorded, each file within the limit.
        string[] files = [FilePath + ".3", FilePath + ".2", FilePath + ".1", FilePath];
        foreach (var file in files)
            new FileInfo(file).Length.Should().BeInRange(1, MaxBytes, file);
        var kept = files.SelectMany(Revisions).ToList();
        kept.Should().NotBeEmpty().And.EndWith(299);
        kept.Should().Equal(Enumerable.Range((int)kept[0], kept.Count).Select(static n => (long)n), "lines stay in order across rotations");
        kept[0].Should().BeGreaterThan(0, "older files than N were deleted");
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_waiting()
    {
        var log = NewLog(capacity: 4);

        // Not started: nothing takes lines off the queue, as with a writer stuck on a slow disk.
        for (var i = 0; i < 10; i++)
            log.Record(Line(i));
        log.Dropped.Should().Be(6);

        await log.StartAsync(CancellationToken.None);
        await log.StopAsync(CancellationToken.None);
        Revisions(FilePath).Should().Equal(0, 1, 2, 3);
        logs.Matching(LogLevel.Warning, "6 line(s) dropped").Should().ContainSingle(logs.Describe());
        logs.Matching(LogLevel.Warning, "6 because the queue was full").Should().ContainSingle();
    }

    [Fact]
    public async Task A_full_disk_drops_and_counts_and_never_throws()
    {
        File.Exists("/dev/full").Should().BeTrue("this test needs Linux's /dev/full, whose writes fail with ENOSPC");
        var log = NewLog(path: "/dev/full", maxBytes: 1024);
        await log.StartAsync(CancellationToken.None);
        for (var i = 0; i < 50; i++)
            log.Record(Line(i));
        await log.StopAsync(CancellationToken.None);

        log.Written.Should().Be(0);
        log.Dropped.Should().Be(50);
        logs.Matching(LogLevel.Warning, "because the file could not be written").Should().NotBeEmpty(logs.Describe());
        File.Exists("/dev/full.1").Should().BeFalse("a device is never rotated");
    }

    [Fact]
    public async Task A_file_in_a_place_that_cannot_be_written_drops_and_says_so_at_start()
    {
        // /proc refuses new files even to root, which a read-only directory would not.
        var log = NewLog(path: "/proc/kvdb-audit/audit.log");
        await log.StartAsync(CancellationToken.None);
        log.Record(Line(1));
        await log.StopAsync(CancellationToken.None);

        log.Dropped.Should().Be(1);
        logs.Matching(LogLevel.Warning, "cannot be opened").Should().ContainSingle(logs.Describe());
    }

    [Fact]
    public async Task Stopping_writes_every_queued_line()
    {
        var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1000; i++)
            log.Record(Line(i));
        await log.StopAsync(CancellationToken.None);

        Revisions(FilePath).Should().Equal(Enumerable.Range(0, 1000).Select(static n => (long)n));
    }

    [Fact]
    public async Task Off_it_keeps_nothing_and_starts_nothing()
    {
        var log = new AuditLog(Options.Create(AuditOptions.None), new Logger<AuditLog>(logs), TimeProvider.System);
        await log.StartAsync(CancellationToken.None);
        log.Record(Line(1));
        await log.StopAsync(CancellationToken.None);
        log.Dropped.Should().Be(0);
        log.Written.Should().Be(0);
    }

    [Fact]
    public async Task A_line_is_one_line_whatever_the_key_holds()
    {
        var log = NewLog();
        await log.StartAsync(CancellationToken.None);
        log.Record(Line(1) with { Key = "a\n{\"kind\":\"login\"}\r\u2028ü", Path = "/v1/kv/a\n" });
        await log.StopAsync(CancellationToken.None);

        var lines = File.ReadAllLines(FilePath);
        lines.Should().ContainSingle();
        var json = JsonDocument.Parse(lines[0]).RootElement;
        json.GetProperty("key").GetString().Should().Be("a\n{\"kind\":\"login\"}\r\u2028ü");
        json.GetProperty("kind").GetString().Should().Be("request");
        json.GetProperty("user").GetString().Should().Be("ann");
        json.GetProperty("time").GetString().Should().EndWith("Z");
        json.TryGetProperty("prefix", out _).Should().BeFalse("absent fields are left out");
    }
}
