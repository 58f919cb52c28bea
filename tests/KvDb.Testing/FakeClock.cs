// A skewed clock for one member process: Debian's libfaketime (apt-get install libfaketime),
// preloaded into the process with LD_PRELOAD and told by FAKETIME how to lie. It intercepts
// clock_gettime for every clock, CLOCK_MONOTONIC included, and the calls that sleep or wait with
// a timeout, so the whole process (.NET's Stopwatch and Environment.TickCount64, its timers,
// Task.Delay, DotNext's election and heartbeat timers, kvdb's read lease and lease expiry) lives
// on the skewed clock: "+7h" moves every clock seven hours ahead (rates unchanged), "+0 x1.2"
// makes time run 1.2 times as fast as the real one from the process's start. Checked against
// .NET 10 by a small program (Task.Delay, PeriodicTimer, Thread.Sleep and Stopwatch agree with
// each other on the skewed clock, and a 2 s delay at x1.5 takes 1.37 s of real time).
// Invariants: only the processes given Environment are skewed, never the test process; where the
// library is missing, Unavailable says why and the tests that need it report Skipped.
namespace KvDb.Testing;

/// <summary>The environment that runs a member on a skewed clock through libfaketime.</summary>
public static class FakeClock
{
    /// <summary>The preloadable library: KVDB_LIBFAKETIME, or where Debian's package puts it.</summary>
    public static string Library { get; } = Find();

    /// <summary>Why no clock can be skewed here, or null when one can.</summary>
    public static string? Unavailable
        => File.Exists(Library) ? null : $"no libfaketime at {Library} (apt-get install libfaketime, or set KVDB_LIBFAKETIME)";

    /// <summary>
    /// The variables that run a process on the clock <paramref name="spec"/> describes, in
    /// libfaketime's FAKETIME syntax ("+7h", "-3d", "+0 x1.2").
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(string spec)
        => new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LD_PRELOAD"] = Library,
            ["FAKETIME"] = spec,
        };

    private static string Find()
    {
        if (System.Environment.GetEnvironmentVariable("KVDB_LIBFAKETIME") is { Length: > 0 } named)
            return named;
        const string Fallback = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
        try
        {
            return Directory.EnumerateDirectories("/usr/lib")
                .Select(static dir => Path.Combine(dir, "faketime", "libfaketime.so.1"))
                .FirstOrDefault(File.Exists) ?? Fallback;
        }
        catch (IOException)
        {
            return Fallback;
        }
        catch (UnauthorizedAccessException)
        {
            return Fallback;
        }
    }
}
