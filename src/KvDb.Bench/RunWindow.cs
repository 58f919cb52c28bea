// The timeline of one run in Stopwatch timestamps: load starts at Start, recording at
// MeasureFrom (after the warm-up), and no request starts at or after End.
// Invariants: Start <= MeasureFrom < End; a request is measured exactly when its (intended)
// start is in [MeasureFrom, End).
using System.Diagnostics;

namespace KvDb.Bench;

/// <summary>When a run starts, starts recording and stops issuing requests (Stopwatch timestamps).</summary>
public readonly record struct RunWindow(long Start, long MeasureFrom, long End)
{
    /// <summary>A window starting now with <paramref name="warmup"/> then <paramref name="duration"/>.</summary>
    public static RunWindow StartingNow(TimeSpan warmup, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + ToTimestampTicks(warmup);
        return new RunWindow(start, measureFrom, measureFrom + Math.Max(1, ToTimestampTicks(duration)));
    }

    /// <summary>True when a request started at <paramref name="timestamp"/> belongs in the results.</summary>
    public bool IsMeasured(long timestamp) => timestamp >= MeasureFrom && timestamp < End;

    /// <summary>Whole microseconds from <paramref name="from"/> to <paramref name="to"/> (Stopwatch timestamps).</summary>
    public static long Microseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary><paramref name="span"/> in Stopwatch timestamp ticks.</summary>
    public static long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
