// The one way tests wait for something another thread (or process) does: poll with a deadline.
// A wait that runs out fails the test naming what never happened and what there was instead:
// returning quietly would leave the assertions after it to fail for a less obvious reason, or
// to pass without testing anything, and a wait without a deadline hangs the run instead of
// failing it. A wait whose timeout is an expected outcome says so by calling TryWaitUntilAsync.
// Task.Delay outside this file is for tests that want time to pass (a TTL, a steady load), never
// to wait for something to happen.
using System.Collections;
using System.Diagnostics;

namespace KvDb.Testing;

public static class Eventually
{
    /// <summary>Generous, because a 2-core CI machine shared with cluster tests can be slow.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Between two polls, unless the caller asks for another interval (cluster waits poll HTTP less often).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws once <paramref name="timeout"/> has passed without it.</summary>
    /// <param name="what">The condition in words, for the failure message: "the snapshot index to reach 12".</param>
    /// <param name="state">What there was instead, computed only for the failure message.</param>
    /// <remarks>An exception thrown by <paramref name="condition"/> fails the wait at once.</remarks>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? state = null, TimeSpan? interval = null)
        => WaitUntilAsync(() => Task.FromResult(condition()), what, timeout, state, interval);

    /// <inheritdoc cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Func{string}?, TimeSpan?)"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? state = null, TimeSpan? interval = null)
    {
        var limit = timeout ?? DefaultTimeout;
        if (!await PollAsync(condition, limit, interval))
            throw new TimeoutException($"Waited {Seconds(limit)} s for {what}; it never happened." + (state is null ? "" : $" Instead: {state()}"));
    }

    /// <summary>
    /// Polls <paramref name="condition"/> for at most <paramref name="timeout"/>; false if it never held.
    /// For the rare wait whose timeout is an expected outcome (the caller goes on either way, or
    /// reports something else); every other wait wants <see cref="WaitUntilAsync(Func{Task{bool}}, string, TimeSpan?, Func{string}?, TimeSpan?)"/>.
    /// </summary>
    public static Task<bool> TryWaitUntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
        => PollAsync(() => Task.FromResult(condition()), timeout, interval);

    /// <inheritdoc cref="TryWaitUntilAsync(Func{bool}, TimeSpan, TimeSpan?)"/>
    public static Task<bool> TryWaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
        => PollAsync(condition, timeout, interval);

    /// <summary>
    /// Reads until <paramref name="accept"/> takes what <paramref name="read"/> returned, and returns that value.
    /// Once <paramref name="timeout"/> has passed without it, throws a <see cref="TimeoutException"/> naming
    /// <paramref name="what"/>, the last value read and, if the reads since then failed, the last exception.
    /// </summary>
    /// <param name="read">One attempt: a request to a member, a look at a file. It may throw (a member not listening yet).</param>
    /// <param name="accept">Whether the value is the one waited for. An exception thrown here fails the wait at once.</param>
    /// <param name="what">What is waited for, in words: "member 2 to serve k".</param>
    /// <param name="context">More for the failure message (the members' output), computed only on failure.</param>
    /// <param name="retryOn">
    /// Which exceptions of <paramref name="read"/> mean "not yet" (remembered, reported at the deadline);
    /// any other fails the wait at once. Null: every exception means "not yet".
    /// </param>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null, Func<string>? context = null, Func<Exception, bool>? retryOn = null, TimeSpan? interval = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        var seen = false;
        T last = default!;
        Exception? failed = null;
        while (true)
        {
            try
            {
                last = await read();
                seen = true;
                failed = null;
            }
            catch (Exception e) when (retryOn?.Invoke(e) ?? true)
            {
                failed = e;
            }

            if (failed is null && accept(last))
                return last;
            if (clock.Elapsed >= limit)
                break;
            await Task.Delay(interval ?? DefaultInterval);
        }

        var message = $"Waited {Seconds(limit)} s for {what}; it never happened."
            + (seen ? $" Last seen: {Show(last)}." : " Nothing was read.")
            + (failed is null ? "" : $" {(seen ? "Later attempts" : "Every attempt")} failed, the last with {failed.GetType().Name}: {failed.Message}")
            + (context is null ? "" : $"\n{context()}");
        throw new TimeoutException(message, failed);
    }

    private static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan limit, TimeSpan? interval)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed >= limit)
                return false;
            await Task.Delay(interval ?? DefaultInterval);
        }

        return true;
    }

    private static string Seconds(TimeSpan limit) => limit.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A value for a failure message: strings quoted, sequences listed.</summary>
    private static string Show(object? value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        System.Text.Json.Nodes.JsonNode node => node.ToJsonString(),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
        _ => value.ToString() ?? "null",
    };
}
