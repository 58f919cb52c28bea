// Watch mode's watchers as one group: opened on the watched member before the warm-up, kept
// open through the run, waited for until they have seen every measured put, then closed.
// Invariants:
//  - Every watcher has its own HTTP/1.1 connection: the fleet's handler allows one connection
//    per watcher (plus one for /metrics), separate from the workers' pool, so watches never
//    queue behind each other or behind the load.
//  - OpenAsync succeeds only when every watcher has caught up (its first progress line arrived),
//    or fails within OpenDeadline naming how many did and the first cause; at most OpenAtOnce
//    watches are being opened at a time, so the member's accept queue is not flooded.
//  - Watches ask for a progress line every ProgressInterval, which bounds how long the wait
//    for the last put takes after a quiet period.
//  - After DisposeAsync no watcher is reading, so their receipts may be read.
using System.Diagnostics;
using System.Globalization;

namespace KvDb.Bench;

/// <summary>The watchers of a watch-mode run.</summary>
public sealed class WatchFleet : IAsyncDisposable
{
    /// <summary>How long all watches together may take to open and catch up.</summary>
    public static readonly TimeSpan OpenDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How often each watch gets a progress line from the member.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);

    /// <summary>How many watches are being opened at once.</summary>
    public const int OpenAtOnce = 64;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly HttpClient client;
    private readonly BenchOptions options;
    private readonly KeySpace keys;
    private readonly CancellationTokenSource closing = new();
    private int disposed;

    /// <summary>The (not yet opened) watchers of <paramref name="options"/> over <paramref name="keys"/>.</summary>
    public WatchFleet(BenchOptions options, KeySpace keys)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        this.options = options;
        this.keys = keys;
        Ranges = new KeyRanges(keys, options.WatchRanges, options.Watchers);
        client = new HttpClient(BenchClient.NewHandler(options, options.Watchers + 1), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        Watchers = [.. Enumerable.Range(0, options.Watchers).Select(w => new Watcher(w, Ranges.RangeOfWatcher(w)))];
    }

    /// <summary>The key ranges the watchers follow.</summary>
    public KeyRanges Ranges { get; }

    /// <summary>The watchers, index = watcher number.</summary>
    public IReadOnlyList<Watcher> Watchers { get; }

    /// <summary>How long opening took until every watcher had caught up.</summary>
    public TimeSpan OpenTime { get; private set; }

    /// <summary>Opens every watch and waits until each has caught up; null when they all did, else why not (dispose the fleet then).</summary>
    public async Task<string?> OpenAsync(CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var progress = "&progress=" + ProgressInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";
        var queries = Enumerable.Range(0, Ranges.Count).Select(r => new Uri(options.WatchUri, "v1/watch?" + Ranges.Query(r) + progress)).ToArray();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(OpenDeadline);
        using var gate = new SemaphoreSlim(OpenAtOnce);

        async Task OpenOneAsync(Watcher watcher)
        {
            await gate.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                watcher.Start(client, queries[watcher.Range], options.Authorization, keys, closing.Token);
                await watcher.CaughtUp.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        try
        {
            await Task.WhenAll(Watchers.Select(OpenOneAsync)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Reported below from the watchers' own state.
        }

        OpenTime = Stopwatch.GetElapsedTime(started);
        var open = Watchers.Count(w => w.CaughtUp is { IsCompletedSuccessfully: true, Result: true });
        if (open == Watchers.Count)
            return null;

        var why = stop.IsCancellationRequested ? "the run was interrupted" : $"{OpenDeadline.TotalSeconds:0}s passed";
        var first = Watchers.Select(w => w.Failure).FirstOrDefault(f => f is not null);
        return string.Create(CultureInfo.InvariantCulture,
            $"watch mode: only {open} of {Watchers.Count} watches on {options.WatchUri} opened and caught up before {why}{(first is null ? "" : $"; first failure: {first}")}");
    }

    /// <summary>Polls until every watcher has had a progress line at or after <paramref name="revision"/>, or <paramref name="timeout"/> passes, or <paramref name="stop"/>; returns how many did not.</summary>
    public async Task<int> WaitForProgressAsync(long revision, TimeSpan timeout, CancellationToken stop)
    {
        var giveUpAt = Stopwatch.GetTimestamp() + RunWindow.ToTimestampTicks(timeout);
        while (true)
        {
            var behind = Watchers.Count(w => w.ProgressRevision < revision);
            if (behind == 0 || Stopwatch.GetTimestamp() >= giveUpAt || stop.IsCancellationRequested)
                return behind;
            try
            {
                await Task.Delay(PollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Watchers.Count(w => w.ProgressRevision < revision);
            }
        }
    }

    /// <summary>The member's gauges, read over the fleet's spare connection.</summary>
    public Task<MemberSample> SampleMemberAsync(CancellationToken stop)
        => MemberMetrics.ReadAsync(client, options.WatchUri, options.Authorization, options.Timeout, stop);

    /// <summary>Stops every watcher and waits until none is reading; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        await closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(Watchers.Select(w => w.Reading)).ConfigureAwait(false);
        client.Dispose();
        closing.Dispose();
    }
}
