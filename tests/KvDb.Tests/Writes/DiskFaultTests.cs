// Disk faults a member must survive without losing or inventing data:
//  - damage inside the Raft log (a flipped byte, a truncated chunk, a truncated checkpoint or
//    state file) stops the member at start-up with one line naming the file and saying what to
//    do, and kvdb deletes nothing: with the damage undone, every write is there again;
//  - below the --min-free-disk reserve every kind of write is refused with 507 problem details
//    before it is proposed, reads go on, and nothing acknowledged earlier is lost; on a real
//    small filesystem (tmpfs, when this machine lets the test mount one; otherwise that test
//    reports itself skipped) the refusal starts and stops by itself as the disk fills and empties.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using Xunit.Abstractions;

namespace KvDb.Tests.Writes;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DiskFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Damage_inside_the_raft_log_stops_the_member_naming_the_file_and_deletes_nothing()
    {
        await using var cluster = await KvdbCluster.StartAsync(1);
        for (var i = 0; i < 30; i++)
            await cluster.PutWithRetryAsync(1, $"k{i}", $"needle-{i:D3}");
        (await cluster.Member(1).StopAsync(StopTimeout)).Should().Be(0);

        var dataDir = cluster.DataDir(1);
        var raft = Path.Combine(dataDir, "raft");
        var pristine = dataDir + ".pristine";
        CopyDirectory(dataDir, pristine);
        var chunk = Path.Combine(raft, "data", "0");
        var needle = IndexOf(await File.ReadAllBytesAsync(chunk), "needle-017"u8.ToArray());
        needle.Should().BePositive("the value is stored in the log's first chunk");

        var damages = new (string What, Action Damage, string Named, string Says)[]
        {
            ("a flipped byte in an entry", () => FlipByte(chunk, needle + 3), chunk, "fails its CRC32 check"),
            ("a chunk cut short in the middle of an entry", () => Truncate(chunk, needle), chunk, "fails its CRC32 check"),
            ("a truncated checkpoint", () => Truncate(Path.Combine(raft, "checkpoint"), 7), Path.Combine(raft, "checkpoint"), "7 bytes long"),
            ("a truncated term-and-vote file", () => Truncate(Path.Combine(raft, "state"), 9), Path.Combine(raft, "state"), "vote"),
        };

        foreach (var (what, damage, named, says) in damages)
        {
            ReplaceDirectory(pristine, dataDir);
            damage();
            var (code, text) = await KvdbProcess.RunToExitAsync(cluster.Member(1).Args, ExitTimeout);
            output.WriteLine($"{what}: exit {code}: {text.Trim()}");
            code.Should().Be(1, $"{what} must stop the member\n{text}");
            var line = text.Split('\n').Single(l => l.StartsWith("kvdb: ", StringComparison.Ordinal));
            line.Should().Contain("member 1 cannot start").And.Contain($"'{named}'").And.Contain(says, what)
                .And.Contain("--join", "the message says how to recover").And.Contain("backup");
        }

        // kvdb changed nothing it found: the undamaged copy starts and has every write.
        ReplaceDirectory(pristine, dataDir);
        cluster.Restart(1);
        for (var i = 0; i < 30; i++)
            await cluster.WaitForValueAsync(1, $"k{i}", $"needle-{i:D3}");
        Directory.Delete(pristine, recursive: true);
    }

    [Fact]
    public async Task Below_the_free_space_reserve_every_write_is_507_reads_go_on_and_nothing_acknowledged_is_lost()
    {
        await using var cluster = await KvdbCluster.StartAsync(1);
        for (var i = 0; i < 10; i++)
            await cluster.PutWithRetryAsync(1, $"kept-{i}", $"v{i}");
        (await cluster.Member(1).StopAsync(StopTimeout)).Should().Be(0);

        // A reserve larger than this filesystem's free space: every write must be refused.
        var reserve = new DriveInfo(cluster.DataDir(1)).AvailableFreeSpace + (1L << 30);
        await using var member = new KvdbProcess(1, [.. cluster.Member(1).Args, "--min-free-disk", reserve.ToString(CultureInfo.InvariantCulture)]);
        member.Start();
        cluster.Retire(member);
        await cluster.WaitForValueAsync(1, "kept-0", "v0");

        var client = cluster.Client;
        var url = cluster.Url(1);
        var writes = new Func<Task<HttpResponseMessage>>[]
        {
            () => client.PutAsync(cluster.KeyUrl(1, "kept-1"), new StringContent("overwritten")),
            () => client.PutAsync(new Uri(url, "v1/kv/new-key"), new StringContent("x")),
            () => client.DeleteAsync(new Uri(url, "v1/kv/kept-2")),
            () => client.PutAsync(new Uri(url, "api"), new StringContent("""{"key": "kept-3", "value": {"Str": "typed"}}""")),
            () => client.DeleteAsync(new Uri(url, "api?key=kept-4")),
            () => client.PostAsync(new Uri(new Uri(cluster.PeerUrl(1)), "internal/v1/propose"), new ByteArrayContent(LogEntryCodec.Encode([new PutCommand { Key = "kept-5"u8.ToArray(), Value = "forwarded"u8.ToArray() }], 0))),
        };
        foreach (var write in writes)
        {
            using var response = await write();
            response.StatusCode.Should().Be(HttpStatusCode.InsufficientStorage, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}");
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await response.Content.ReadAsStringAsync()).Should().Contain("--min-free-disk").And.Contain("Reads still work");
        }

        for (var i = 0; i < 10; i++)
            (await cluster.GetAsync(1, $"kept-{i}")).Should().Be($"v{i}", "a refused write changes nothing and reads go on");
        (await cluster.GetAsync(1, "new-key")).Should().BeNull();
        (await client.GetStringAsync(new Uri(url, "v1/kv?prefix=kept-"))).Should().Contain("\"kept-9\"");
        await member.WaitForOutputAsync("refuses writes (507)");
        using (var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(url, "v1/status"))))
        {
            status.RootElement.GetProperty("writesRefused").GetBoolean().Should().BeTrue("an operator must see why writes fail");
            status.RootElement.GetProperty("minFreeDiskBytes").GetInt64().Should().Be(reserve);
        }

        // With the reserve met again (here: the default), writes work and the old data is intact.
        (await member.StopAsync(StopTimeout)).Should().Be(0);
        cluster.Restart(1);
        await cluster.PutWithRetryAsync(1, "after", "ok");
        (await cluster.GetAsync(1, "kept-1")).Should().Be("v1");
    }

    [SkippableFact]
    public async Task On_a_small_filesystem_writes_stop_with_507_as_it_fills_and_resume_when_space_is_freed()
    {
        var mount = Directory.CreateTempSubdirectory("kvdb-tmpfs-").FullName;
        var cannotMount = await MountTmpfsAsync(mount, "64m");
        if (cannotMount is not null)
            Directory.Delete(mount);
        // Skipped rather than passed: a green result must mean a real filesystem filled up.
        Skip.If(cannotMount is not null, $"this machine does not let the test mount a tmpfs (needs Linux and root or CAP_SYS_ADMIN): {cannotMount}");

        try
        {
            var dataDir = Path.Combine(mount, "node-1");
            await using (var cluster = await KvdbCluster.StartAsync(1, "--data-dir", dataDir, "--min-free-disk", "24MiB"))
            {
                for (var i = 0; i < 20; i++)
                    await cluster.PutWithRetryAsync(1, $"before-{i}", new string('b', 1000));

                // Fill the filesystem to ~12MiB free: below the reserve, with room left for the log.
                var filler = Path.Combine(mount, "filler");
                await using (var file = new FileStream(filler, FileMode.Create))
                {
                    var block = new byte[1 << 20];
                    while (new DriveInfo(mount).AvailableFreeSpace > 12L << 20)
                        await file.WriteAsync(block);
                }

                await WaitForPutStatusAsync(cluster, HttpStatusCode.InsufficientStorage);
                for (var i = 0; i < 20; i++)
                    (await cluster.GetAsync(1, $"before-{i}")).Should().HaveLength(1000);

                File.Delete(filler);
                await WaitForPutStatusAsync(cluster, HttpStatusCode.NoContent);
                await cluster.Member(1).WaitForOutputAsync("accepts writes again");
            }
        }
        finally
        {
            await RunAsync("umount", "-l", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static async Task WaitForPutStatusAsync(KvdbCluster cluster, HttpStatusCode expected)
        => await Eventually.ValueAsync(
            async () =>
            {
                using var response = await cluster.PutAsync(1, "probe", "p");
                return response.StatusCode;
            },
            status => status == expected,
            $"a PUT on member 1 to answer {(int)expected}",
            TimeSpan.FromSeconds(20),
            cluster.Describe,
            retryOn: _ => false,
            interval: TimeSpan.FromMilliseconds(50));

    /// <returns>Null once mounted; otherwise why not, for the skip reason.</returns>
    private static async Task<string?> MountTmpfsAsync(string directory, string size)
    {
        if (!OperatingSystem.IsLinux())
            return "not Linux";
        var (code, error) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", directory);
        return code == 0 ? null : $"mount exited {code}: {error.Trim()}";
    }

    private static async Task<(int Code, string Error)> RunAsync(string program, params string[] args)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, args)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private static void FlipByte(string path, long position)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.Position = position;
        var value = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(value ^ 0x20));
    }

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.SetLength(length);
    }

    private static void ReplaceDirectory(string source, string target)
    {
        if (Directory.Exists(target))
            Directory.Delete(target, recursive: true);
        CopyDirectory(source, target);
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var directory in Directory.GetDirectories(source))
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
    }
}
