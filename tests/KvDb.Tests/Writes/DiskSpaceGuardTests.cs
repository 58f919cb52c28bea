// DiskSpaceGuard decides when writes are refused for lack of disk space. Checked here with an
// injected measurement and clock: the threshold, the cache between measurements, recovery,
// --min-free-disk 0, and a measurement that fails.
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Writes;

public sealed class DiskSpaceGuardTests
{
    private const long MiB = 1L << 20;
    private long now = 1_000_000;
    private long free = 1024 * MiB;
    private int measurements;

    private DiskSpaceGuard Guard(long reserve) => new(reserve, "/data", 3, _ =>
    {
        measurements++;
        return free >= 0 ? free : throw new IOException("statvfs failed");
    }, () => now, NullLogger.Instance);

    private void Advance(TimeSpan time) => now += (long)(time.TotalSeconds * Stopwatch.Frequency);

    [Fact]
    public void Writes_pass_above_the_reserve_and_are_refused_below_it_with_a_message_naming_the_directory()
    {
        var guard = Guard(256 * MiB);
        guard.Invoking(g => g.ThrowIfLow()).Should().NotThrow();

        free = 100 * MiB;
        Advance(DiskSpaceGuard.RefreshInterval);
        guard.Invoking(g => g.ThrowIfLow()).Should().Throw<InsufficientStorageException>()
            .Which.Message.Should().Contain("Member 3").And.Contain("/data").And.Contain("100MiB free").And.Contain("256MiB");
    }

    [Fact]
    public void The_free_space_is_measured_at_most_once_per_refresh_interval()
    {
        var guard = Guard(256 * MiB);
        for (var i = 0; i < 1000; i++)
            guard.ThrowIfLow();
        measurements.Should().Be(1);

        free = 10 * MiB;
        guard.IsLow.Should().BeFalse("the cached measurement is still fresh");
        Advance(DiskSpaceGuard.RefreshInterval);
        guard.IsLow.Should().BeTrue();
        measurements.Should().Be(2);
    }

    [Fact]
    public void Writes_resume_once_space_is_freed()
    {
        free = 10 * MiB;
        var guard = Guard(256 * MiB);
        guard.IsLow.Should().BeTrue();

        free = 300 * MiB;
        Advance(DiskSpaceGuard.RefreshInterval);
        guard.Invoking(g => g.ThrowIfLow()).Should().NotThrow();
    }

    [Fact]
    public void A_reserve_of_zero_turns_the_check_off_without_measuring()
    {
        free = 0;
        var guard = Guard(0);
        guard.Invoking(g => g.ThrowIfLow()).Should().NotThrow();
        measurements.Should().Be(0);
    }

    [Fact]
    public void A_failing_measurement_lets_writes_through()
    {
        free = -1;
        var guard = Guard(256 * MiB);
        guard.Invoking(g => g.ThrowIfLow()).Should().NotThrow();
        guard.FreeBytes.Should().Be(-1);
    }
}
