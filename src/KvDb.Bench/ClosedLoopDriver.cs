// Closed-loop load: each worker sends its next request as soon as its last one is answered,
// so exactly Concurrency requests are in flight while the run lasts. Latency is measured from
// the actual send. (A closed loop slows down with the server, so its tail latencies are those
// of a client that waits; use the open loop to see what a fixed arrival rate would suffer.)
// Invariants:
//  - Every worker sends at least one measured request: one that the scheduler first runs at or
//    after End (a starved thread pool on a loaded machine, a short --duration) still sends one,
//    counted as measured, so a run never reports nothing because its workers started late; the
//    elapsed time then runs to its answer, so throughput stays honest.
//  - Apart from that, no request starts at or after the window's End, and a request is
//    measured exactly when it started inside [MeasureFrom, End).
//  - In watch mode each measured successful put is also recorded with its revision and the
//    time its answer arrived.
using System.Diagnostics;

namespace KvDb.Bench;

/// <summary>Runs workers back-to-back for the length of a <see cref="RunWindow"/>.</summary>
public static class ClosedLoopDriver
{
    /// <summary>Runs every worker until <paramref name="window"/> ends or <paramref name="stop"/> is cancelled; measured puts go to <paramref name="acks"/> too when it is not null (watch mode).</summary>
    public static Task RunAsync(OperationMix mix, BenchClient client, IReadOnlyList<BenchWorker> workers, LatencyRecorder recorder, PutAcknowledgements? acks, RunWindow window, CancellationToken stop)
    {
        var tasks = new Task[workers.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            var worker = workers[i];
            tasks[i] = Task.Run(() => WorkAsync(mix, client, worker, recorder, acks, window, stop), CancellationToken.None);
        }

        return Task.WhenAll(tasks);
    }

    private static async Task WorkAsync(OperationMix mix, BenchClient client, BenchWorker worker, LatencyRecorder recorder, PutAcknowledgements? acks, RunWindow window, CancellationToken stop)
    {
        var measuredOnce = false;
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            var late = !measuredOnce && started >= window.End;
            if (started >= window.End && !late)
                return;

            var kind = mix.Choose(worker.Random);
            var key = worker.Keys.Next();
            var result = await client.SendAsync(worker, kind, key).ConfigureAwait(false);
            var answered = Stopwatch.GetTimestamp();
            var measured = late || window.IsMeasured(started);
            measuredOnce |= measured;
            recorder.Record(worker.Index, kind, result.Outcome, RunWindow.Microseconds(started, answered), measured, result.Error);
            if (acks is not null && measured && kind is OperationKind.Put && result.Outcome is RequestOutcome.Success)
                acks.Record(worker.Index, result.Revision, key, answered);
        }
    }
}
