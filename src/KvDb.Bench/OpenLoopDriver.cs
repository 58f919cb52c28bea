// Open-loop load at a fixed total rate: request n is due at Start + n/rate whatever happened to
// earlier ones, and its latency counts from that intended start, not from when a worker got
// round to sending it. If the server stalls and every worker is busy, the requests that should
// have gone out meanwhile are sent late and their wait shows in the latency: no coordinated
// omission (as in wrk2). Invariants:
//  - Each due time is claimed by exactly one worker (a shared counter), in order.
//  - Latency is from min(intended, actual send): a worker that wakes slightly early (timers
//    have ~1ms granularity) never reports less than the request really took.
//  - Concurrency caps the requests in flight; when it is too low for the rate, the lateness is
//    recorded as latency and the achieved rate falls short of the target (the report says so).
//  - In watch mode each measured successful put is also recorded with its revision and the
//    time its answer arrived (the acknowledgement watchers' delivery latency counts from).
using System.Diagnostics;

namespace KvDb.Bench;

/// <summary>Issues requests on a fixed schedule of <c>rate</c> per second over a pool of workers.</summary>
public static class OpenLoopDriver
{
    // Sleeping for short waits costs more than it saves: a timer fires ~1ms late at best.
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(1);

    /// <summary>Runs the schedule of <paramref name="rate"/> requests per second until <paramref name="window"/> ends or <paramref name="stop"/> is cancelled; measured puts go to <paramref name="acks"/> too when it is not null (watch mode).</summary>
    public static Task RunAsync(int rate, OperationMix mix, BenchClient client, IReadOnlyList<BenchWorker> workers, LatencyRecorder recorder, PutAcknowledgements? acks, RunWindow window, CancellationToken stop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        var schedule = new Schedule(window.Start, (double)Stopwatch.Frequency / rate);
        var tasks = new Task[workers.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            var worker = workers[i];
            tasks[i] = Task.Run(() => WorkAsync(schedule, mix, client, worker, recorder, acks, window, stop), CancellationToken.None);
        }

        return Task.WhenAll(tasks);
    }

    private static async Task WorkAsync(Schedule schedule, OperationMix mix, BenchClient client, BenchWorker worker, LatencyRecorder recorder, PutAcknowledgements? acks, RunWindow window, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var intended = schedule.ClaimNext();
            if (intended >= window.End)
                return;

            var early = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
            if (early > TimerSlack)
            {
                try
                {
                    await Task.Delay(early - TimerSlack, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var kind = mix.Choose(worker.Random);
            var key = worker.Keys.Next();
            var sent = Stopwatch.GetTimestamp();
            var result = await client.SendAsync(worker, kind, key).ConfigureAwait(false);
            var answered = Stopwatch.GetTimestamp();
            var measured = window.IsMeasured(intended);
            recorder.Record(worker.Index, kind, result.Outcome, RunWindow.Microseconds(Math.Min(intended, sent), answered), measured, result.Error);
            if (acks is not null && measured && kind is OperationKind.Put && result.Outcome is RequestOutcome.Success)
                acks.Record(worker.Index, result.Revision, key, answered);
        }
    }

    /// <summary>The due times Start + n × interval, handed out once each.</summary>
    private sealed class Schedule(long start, double ticksPerRequest)
    {
        private long claimed = -1;

        public long ClaimNext() => start + (long)(Interlocked.Increment(ref claimed) * ticksPerRequest);
    }
}
