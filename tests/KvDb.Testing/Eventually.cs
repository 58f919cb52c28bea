// Waiting for something another thread (or process) does, with a deadline. A wait that runs
// out fails the test naming what never happened: returning quietly instead would leave the
// assertions after it to fail for a less obvious reason, or to pass without testing anything,
// and a wait without a deadline hangs the run instead of failing it.
using System.Diagnostics;

namespace KvDb.Testing;

public static class Eventually
{
    /// <summary>Generous, because a 2-core CI machine shared with cluster tests can be slow.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws once <paramref name="timeout"/> has passed without it.</summary>
    /// <param name="what">The condition in words, for the failure message: "the snapshot index to reach 12".</param>
    /// <param name="state">What there was instead, computed only for the failure message.</param>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? state = null)
        => WaitUntilAsync(() => Task.FromResult(condition()), what, timeout, state);

    /// <inheritdoc cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Func{string}?)"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? state = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed >= limit)
                throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {what}; it never happened." + (state is null ? "" : $" Instead: {state()}"));
            await Task.Delay(Interval);
        }
    }
}
