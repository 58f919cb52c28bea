// Writes every key of the key space once before the warm-up so that gets find their keys
// (otherwise a get-heavy run would mostly measure "not found"). Invariants: each key is put
// exactly until it succeeds (claimed once through a shared counter); a key that keeps failing
// past the retry budget ends the preload with a message naming the key, the endpoint and the
// last error, and the benchmark does not run. Retries absorb a leader election just after a
// cluster starts. Nothing here is recorded in the results.
namespace KvDb.Bench;

/// <summary>Puts every key once, with retries.</summary>
public static class Preloader
{
    private static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Puts keys 0..<paramref name="keys"/>-1 through <paramref name="workers"/>; returns null when done, or why it failed.</summary>
    public static async Task<string?> RunAsync(BenchClient client, IReadOnlyList<BenchWorker> workers, IReadOnlyList<Uri> endpoints, KeySpace keys, CancellationToken stop)
    {
        var next = new Counter();
        string? failure = null;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);

        async Task WorkAsync(BenchWorker worker)
        {
            for (var key = next.Claim(); key < keys.Count && !failed.IsCancellationRequested; key = next.Claim())
            {
                var giveUpAt = DateTime.UtcNow + RetryBudget;
                while (true)
                {
                    var result = await client.SendAsync(worker, OperationKind.Put, key).ConfigureAwait(false);
                    if (result.Outcome is RequestOutcome.Success)
                        break;
                    if (DateTime.UtcNow >= giveUpAt || failed.IsCancellationRequested)
                    {
                        Interlocked.CompareExchange(ref failure, $"preloading failed: put {keys.Key(key)} on {endpoints[worker.Endpoint]}: {result.Error} (retried for {RetryBudget.TotalSeconds:0}s)", null);
                        await failed.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    try
                    {
                        await Task.Delay(RetryPause, failed.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }

        var tasks = new Task[workers.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            var worker = workers[i];
            tasks[i] = Task.Run(() => WorkAsync(worker), CancellationToken.None);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (failure is null && stop.IsCancellationRequested)
            return "preloading interrupted";
        return failure;
    }

    private sealed class Counter
    {
        private int claimed = -1;

        public int Claim() => Interlocked.Increment(ref claimed);
    }
}
