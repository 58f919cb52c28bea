// Keeps the Raft log and the storage engine from ever meeting a full disk: writes are refused
// (507) while the data directory's filesystem has less free space than --min-free-disk.
// Why refuse early rather than handle ENOSPC: DotNext's write-ahead log writes entries into
// memory-mapped pages of sparse chunk files, and a store into a mapped page that the
// filesystem cannot back kills the process with SIGBUS; the storage engine's flush would fail
// and stop applying. Refusing at the door keeps the member serving reads and loses nothing.
// Invariants:
//  - A refused write never reaches the log: the check runs before a write is proposed (on the
//    member the client asked, and again on the leader for writes forwarded to it).
//  - The free space is measured at most every RefreshInterval and cached in between, so the
//    check costs one statvfs per interval, not one per write.
//  - If the free space cannot be measured the guard lets writes through (and says so once):
//    it is a safety margin, not a reason to stop a healthy member.
//  - Crossing the reserve in either direction is logged once, as a Warning and an Information line.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using KvDb.Node.Hosting;

namespace KvDb.Node.Writes;

/// <summary>Refuses writes while the data directory's filesystem is below the free-space reserve.</summary>
public sealed partial class DiskSpaceGuard
{
    /// <summary>How long a measurement of the free space is trusted.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(200);

    private readonly long reserve;
    private readonly string directory;
    private readonly int memberId;
    private readonly Func<string, long> measure;
    private readonly Func<long> clock;
    private readonly ILogger logger;
    private readonly Lock sync = new();
    private long nextMeasurementAt = long.MinValue;
    private long freeBytes = -1;
    private bool low;
    private bool reportedUnmeasurable;

    /// <summary>Creates the guard for this member's data directory and <c>--min-free-disk</c>.</summary>
    public DiskSpaceGuard(NodeOptions options, ILogger<DiskSpaceGuard> logger)
        : this(options.MinFreeDiskBytes, options.DataDir, options.Id, FreeBytesOf, Stopwatch.GetTimestamp, logger)
    {
    }

    /// <summary>Creates a guard with an injected measurement and clock (Stopwatch ticks), for tests.</summary>
    public DiskSpaceGuard(long reserveBytes, string directory, int memberId, Func<string, long> measure, Func<long> clock, ILogger logger)
    {
        reserve = reserveBytes;
        this.directory = directory;
        this.memberId = memberId;
        this.measure = measure;
        this.clock = clock;
        this.logger = logger;
    }

    /// <summary>The reserve in bytes (<c>--min-free-disk</c>); 0 when the check is off.</summary>
    public long ReserveBytes => reserve;

    /// <summary>Free bytes at the last measurement, or -1 when unknown.</summary>
    public long FreeBytes
    {
        get
        {
            Refresh();
            return Volatile.Read(ref freeBytes);
        }
    }

    /// <summary>True while the free space is below the reserve (writes are refused).</summary>
    public bool IsLow
    {
        get
        {
            Refresh();
            return Volatile.Read(ref low);
        }
    }

    /// <summary>Throws when writes must be refused.</summary>
    /// <exception cref="InsufficientStorageException">The data directory's filesystem is below the reserve.</exception>
    public void ThrowIfLow()
    {
        if (reserve <= 0 || !IsLow)
            return;
        throw new InsufficientStorageException(
            $"Member {memberId} refuses writes: its data directory ({directory}) has {ByteSize.Format(RoundDown(Volatile.Read(ref freeBytes)))} free, "
            + $"below the --min-free-disk reserve of {ByteSize.Format(reserve)}. Reads still work; writes resume by themselves once space is freed.");
    }

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "The lines are written only when the disk crosses the reserve, not on every refresh; formatting a size then costs nothing.")]
    private void Refresh()
    {
        if (reserve <= 0)
            return;
        var now = clock();
        if (now < Volatile.Read(ref nextMeasurementAt))
            return;

        lock (sync)
        {
            if (now < nextMeasurementAt)
                return;

            long free;
            try
            {
                free = measure(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                if (!reportedUnmeasurable)
                    LogUnmeasurable(directory, e.Message);
                reportedUnmeasurable = true;
                free = -1;
            }

            var nowLow = free >= 0 && free < reserve;
            if (nowLow && !low)
                LogLow(memberId, directory, ByteSize.Format(RoundDown(free)), ByteSize.Format(reserve));
            else if (!nowLow && low)
                LogRecovered(memberId, directory, ByteSize.Format(RoundDown(free)));

            Volatile.Write(ref freeBytes, free);
            Volatile.Write(ref low, nowLow);
            Volatile.Write(ref nextMeasurementAt, now + (long)(RefreshInterval.TotalSeconds * Stopwatch.Frequency));
        }
    }

    // Whole MiB read better in messages than exact byte counts.
    private static long RoundDown(long bytes) => bytes >= 1L << 20 ? bytes & ~((1L << 20) - 1) : bytes;

    private static long FreeBytesOf(string directory) => new DriveInfo(directory).AvailableFreeSpace;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Id} refuses writes (507): {Directory} has {Free} free, below the --min-free-disk reserve of {Reserve}; reads go on. Free space or grow the disk; writes resume by themselves")]
    private partial void LogLow(int id, string directory, string free, string reserve);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} accepts writes again: {Directory} has {Free} free")]
    private partial void LogRecovered(int id, string directory, string free);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot measure the free space of {Directory} ({Reason}); the --min-free-disk check is not enforced")]
    private partial void LogUnmeasurable(string directory, string reason);
}
