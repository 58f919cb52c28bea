// `kvdb bench`: parse the flags, preload, run the closed- or open-loop driver with a progress
// line, then print the results. Invariants:
//  - stdout carries only the result (table or JSON); everything else goes to stderr.
//  - Exit codes: 0 the run finished with at least one successful request, 1 preloading failed
//    or nothing succeeded, 2 bad command line (one line on stderr, like kvdb's own flags).
//  - Ctrl+C once stops issuing requests and still reports what was measured; twice kills.
using System.Diagnostics;
using System.Globalization;

namespace KvDb.Bench;

/// <summary>Entry point of the <c>kvdb bench</c> subcommand.</summary>
public static class BenchCommand
{
    /// <summary>The word that selects this subcommand as kvdb's first argument.</summary>
    public const string Name = "bench";

    /// <summary>Runs <c>kvdb bench</c> with the arguments after "bench"; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        switch (BenchCommandLine.Parse(args))
        {
            case BenchParseResult.Print print:
                Console.Out.Write(print.Text);
                return 0;
            case BenchParseResult.Error error:
                await Console.Error.WriteLineAsync($"kvdb bench: {error.Message}");
                return 2;
            case BenchParseResult.Run run:
                return await RunAsync(run.Options);
            default:
                return 2;
        }
    }

    private static async Task<int> RunAsync(BenchOptions options)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl+C ends the run early with a report; a second one is not cancelled.
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = await RunAsync(options, Console.Error, !Console.IsErrorRedirected, stop.Token);
            if (result is null)
                return 1;
            Console.Out.Write(options.Json ? ResultPrinter.Json(result) : ResultPrinter.Table(result));
            return result.Total.Ops > 0 ? 0 : 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs the benchmark, reporting progress on <paramref name="log"/>; null when preloading failed.</summary>
    public static async Task<BenchResult?> RunAsync(BenchOptions options, TextWriter log, bool rewriteProgressInPlace, CancellationToken stop)
    {
        var keys = new KeySpace(options.Keys, options.ValueSize);
        var protocol = BenchProtocol.For(options, keys);
        using var client = new BenchClient(options, protocol);
        var workers = new BenchWorker[options.Concurrency];
        for (var i = 0; i < workers.Length; i++)
            workers[i] = new BenchWorker(i, options.Endpoints.Count, options.Keys, protocol.RequestMediaType);

        await log.WriteLineAsync(Describe(options));
        if (options.Preload)
        {
            var started = Stopwatch.GetTimestamp();
            if (await Preloader.RunAsync(client, workers, options.Endpoints, keys, stop) is { } failure)
            {
                await log.WriteLineAsync($"kvdb bench: {failure}");
                return null;
            }

            var took = Stopwatch.GetElapsedTime(started);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: preloaded {options.Keys} keys in {took.TotalSeconds:0.0}s"));
        }

        var recorder = new LatencyRecorder(Math.Min(options.Concurrency, 2 * Environment.ProcessorCount), HighestTrackableMicroseconds(options));
        var window = RunWindow.StartingNow(options.Warmup, options.Duration);
        using var progressDone = new CancellationTokenSource();
        var progress = ProgressReporter.RunAsync(recorder, window, options.TargetRate, log, rewriteProgressInPlace, progressDone.Token);
        var load = options.TargetRate is { } rate
            ? OpenLoopDriver.RunAsync(rate, options.Mix, client, workers, recorder, window, stop)
            : ClosedLoopDriver.RunAsync(options.Mix, client, workers, recorder, window, stop);
        await load;
        var finished = Stopwatch.GetTimestamp();
        await progressDone.CancelAsync();
        await progress;

        var elapsed = finished > window.MeasureFrom ? Stopwatch.GetElapsedTime(window.MeasureFrom, finished) : TimeSpan.Zero;
        return BenchResult.From(options, recorder.Snapshot(), elapsed);
    }

    // Open-loop latencies include time spent queued behind a stall, up to the whole run; twice
    // the longest a request could possibly be outstanding leaves room without wasting memory.
    private static long HighestTrackableMicroseconds(BenchOptions options)
        => (long)Math.Max(10_000_000, 2 * (options.Warmup + options.Duration + options.Timeout).TotalMicroseconds);

    private static string Describe(BenchOptions o)
    {
        var loop = o.TargetRate is { } rate ? $"open loop at {rate} ops/s (at most {o.Concurrency} in flight)" : $"closed loop, concurrency {o.Concurrency}";
        var target = o.Target is BenchTarget.Etcd ? "etcd" : "kvdb";
        var reads = o.Consistency is BenchConsistency.Local ? "local" : "linearizable";
        return string.Create(CultureInfo.InvariantCulture,
            $"bench: {target} at {string.Join(',', o.Endpoints)}; {loop}; mix {o.Mix}, {reads} gets; {o.ValueSize}-byte values over {o.Keys} keys; warm-up {o.Warmup.TotalSeconds:0.###}s, measuring {o.Duration.TotalSeconds:0.###}s");
    }
}
