// `kvdb bench`: parse the flags, preload, open the watches (watch mode), run the closed- or
// open-loop driver with a progress line, wait for the watchers to see the last put, then print
// the results. Invariants:
//  - stdout carries only the result (table or JSON); everything else goes to stderr.
//  - Exit codes: 0 the run finished with at least one successful request, 1 preloading or
//    opening the watches failed, or nothing succeeded, 2 bad command line (one line on stderr,
//    like kvdb's own flags).
//  - Watch mode's watches are all open and caught up before the warm-up starts, and stay open
//    until the member's memory has been read after the run; with --watchers 0 nothing of watch
//    mode runs and the put path reads no revision.
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
        ArgumentNullException.ThrowIfNull(args);
        var sub = args.Count > 0 && args[0] is S2BenchCommandLine.Name or KafkaBenchCommandLine.Name ? args[0] : null;
        var rest = sub is null ? args : [.. args.Skip(1)];
        switch (sub switch { S2BenchCommandLine.Name => S2BenchCommandLine.Parse(rest), KafkaBenchCommandLine.Name => KafkaBenchCommandLine.Parse(rest), _ => BenchCommandLine.Parse(args) })
        {
            case S2BenchParseResult run:
                return await S2BenchCommand.RunAsync(run.Options);
            case KafkaBenchParseResult run:
                return await KafkaBenchCommand.RunAsync(run.Options);
            case BenchParseResult.Print print:
                Console.Out.Write(print.Text);
                return 0;
            case BenchParseResult.Error error:
                await Console.Error.WriteLineAsync($"kvdb bench{(sub is null ? "" : " " + sub)}: {error.Message}");
                return 2;
            case BenchParseResult.Run run:
                return await RunAsync(run.Options);
            default:
                return 2;
        }
    }

    private static Task<int> RunAsync(BenchOptions options) => BenchConsole.RunAsync(async stop =>
    {
        var result = await RunAsync(options, Console.Error, !Console.IsErrorRedirected, stop);
        if (result is null)
            return 1;
        Console.Out.Write(options.Json ? ResultPrinter.Json(result) : ResultPrinter.Table(result));
        return result.Total.Ops > 0 ? 0 : 1;
    });

    /// <summary>How long the watchers get, after the load stops, to see the last measured put (progress lines come every <see cref="WatchFleet.ProgressInterval"/>).</summary>
    public static readonly TimeSpan CatchUpDeadline = TimeSpan.FromSeconds(10);

    /// <summary>Runs the benchmark, reporting progress on <paramref name="log"/>; null when preloading or opening the watches failed.</summary>
    public static async Task<BenchResult?> RunAsync(BenchOptions options, TextWriter log, bool rewriteProgressInPlace, CancellationToken stop)
    {
        var keys = new KeySpace(options.Keys, options.ValueSize);
        var protocol = BenchProtocol.For(options, keys);
        using var client = new BenchClient(options, protocol);
        var workers = new BenchWorker[options.Concurrency];
        for (var i = 0; i < workers.Length; i++)
            workers[i] = new BenchWorker(i, options.Endpoints.Count, options.Keys, protocol.RequestMediaType);

        await log.WriteLineAsync(Describe(options));
        if (await client.SetupAsync(options.Mix, stop) is { } setupFailure)
        {
            await log.WriteLineAsync($"kvdb bench: {setupFailure}");
            return null;
        }

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

        WatchFleet? fleet = null;
        var memberBefore = MemberSample.Unknown;
        if (options.Watchers > 0)
        {
            fleet = new WatchFleet(options, keys);
            memberBefore = await fleet.SampleMemberAsync(stop);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: opening {options.Watchers} watches over {options.WatchRanges} key ranges on {options.WatchUri}"));
            if (await fleet.OpenAsync(stop) is { } failure)
            {
                await fleet.DisposeAsync();
                await log.WriteLineAsync($"kvdb bench: {failure}");
                return null;
            }

            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: {options.Watchers} watches open and caught up in {fleet.OpenTime.TotalSeconds:0.0}s"));
        }

        try
        {
            var recorder = new LatencyRecorder(Math.Min(options.Concurrency, 2 * Environment.ProcessorCount), HighestTrackableMicroseconds(options));
            var acks = fleet is null ? null : new PutAcknowledgements(options.Concurrency);
            var window = RunWindow.StartingNow(options.Warmup, options.Duration);
            using var progressDone = new CancellationTokenSource();
            var progress = ProgressReporter.RunAsync(recorder, window, options.TargetRate, log, rewriteProgressInPlace, progressDone.Token);
            var load = options.TargetRate is { } rate
                ? OpenLoopDriver.RunAsync(rate, options.Mix, client, workers, recorder, acks, window, stop)
                : ClosedLoopDriver.RunAsync(options.Mix, client, workers, recorder, acks, window, stop);
            await load;
            var finished = Stopwatch.GetTimestamp();
            await progressDone.CancelAsync();
            await progress;

            var watch = fleet is null ? null : await FinishWatchAsync(options, fleet, acks!, memberBefore, finished, log, stop);
            var elapsed = finished > window.MeasureFrom ? Stopwatch.GetElapsedTime(window.MeasureFrom, finished) : TimeSpan.Zero;
            return BenchResult.From(options, recorder.Snapshot(), elapsed, watch);
        }
        finally
        {
            if (fleet is not null)
                await fleet.DisposeAsync();
        }
    }

    // Waits for the watchers to see the last measured put, reads the member's gauges with the
    // watches still open, closes them, and matches what they received against the puts.
    private static async Task<WatchResult> FinishWatchAsync(BenchOptions options, WatchFleet fleet, PutAcknowledgements acks, MemberSample before, long finished, TextWriter log, CancellationToken stop)
    {
        var highest = acks.HighestRevision;
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: waiting up to {CatchUpDeadline.TotalSeconds:0}s for every watcher to reach revision {highest}"));
        var behind = await fleet.WaitForProgressAsync(highest, CatchUpDeadline, stop);
        var catchUp = Stopwatch.GetElapsedTime(finished);
        if (behind > 0)
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: {behind} of {fleet.Watchers.Count} watchers had not reached revision {highest} after {catchUp.TotalSeconds:0.0}s"));

        // Not cancelled by a Ctrl+C: the report still wants the member's memory.
        var after = await fleet.SampleMemberAsync(CancellationToken.None);
        await fleet.DisposeAsync();
        var highestTrackable = HighestTrackableMicroseconds(options) + (long)CatchUpDeadline.TotalMicroseconds;
        return WatchResult.From(fleet, acks, highestTrackable, catchUp, behind, before, after, options.WatchUri);
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
        var watch = o.Watchers > 0 ? $"; {o.Watchers} watchers over {o.WatchRanges} key ranges on {o.WatchUri}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"bench: {target} at {string.Join(',', o.Endpoints)}; {loop}; mix {o.Mix}, {reads} gets; {o.ValueSize}-byte values over {o.Keys} keys; warm-up {o.Warmup.TotalSeconds:0.###}s, measuring {o.Duration.TotalSeconds:0.###}s{watch}");
    }
}
