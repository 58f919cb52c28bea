// The live progress line on stderr: once a second, the phase (warm-up or measuring), the rate
// of answered requests over the last second and the errors so far. On a terminal the line is
// rewritten in place; otherwise (a log file, a test capturing stderr) one line per second.
// Invariants: it only reads the recorder's counters, never blocks workers, writes nothing to
// stdout (which carries the results) and ends its line when stopped.
using System.Diagnostics;
using System.Globalization;

namespace KvDb.Bench;

/// <summary>Prints a progress line once a second while a run lasts.</summary>
public static class ProgressReporter
{
    /// <summary>Reports until <paramref name="done"/> is cancelled.</summary>
    public static async Task RunAsync(LatencyRecorder recorder, RunWindow window, int? targetRate, TextWriter output, bool rewriteInPlace, CancellationToken done)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var (lastCompleted, _) = recorder.Progress();
        var lastTime = Stopwatch.GetTimestamp();
        var wrote = false;
        try
        {
            while (await timer.WaitForNextTickAsync(done).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var (completed, failed) = recorder.Progress();
                var rate = (completed - lastCompleted) / Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds;
                (lastCompleted, lastTime) = (completed, now);
                var line = Line(Stopwatch.GetElapsedTime(window.Start, now), now < window.MeasureFrom, rate, targetRate, failed);
                if (rewriteInPlace)
                    await output.WriteAsync("\r" + line.PadRight(72)).ConfigureAwait(false);
                else
                    await output.WriteLineAsync(line).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                wrote = true;
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (rewriteInPlace && wrote)
            await output.WriteLineAsync().ConfigureAwait(false);
    }

    /// <summary>One progress line, e.g. "bench   3s measuring  12345 ops/s  errors 0".</summary>
    public static string Line(TimeSpan sinceStart, bool warmingUp, double opsPerSecond, int? targetRate, long errors)
    {
        var phase = warmingUp ? "warm-up  " : "measuring";
        var target = targetRate is { } t ? $" (target {t.ToString(CultureInfo.InvariantCulture)})" : "";
        return string.Create(CultureInfo.InvariantCulture, $"bench {sinceStart.TotalSeconds,4:0}s {phase} {opsPerSecond,9:0} ops/s{target}  errors {errors}");
    }
}
