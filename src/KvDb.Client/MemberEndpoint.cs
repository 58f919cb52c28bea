// One member's client URL and what the client has learnt about it lately: whether to leave it
// alone for a while (it refused a connection, timed out, or asked to be retried later).
// Invariants: a member is "resting" until RestingUntil (Environment.TickCount64 milliseconds);
// each failure in a row doubles the rest, up to MaxRest, and a success ends it. A Retry-After
// sets the rest to exactly what the member asked for.

namespace KvDb.Client;

/// <summary>A member's client URL and its recent health.</summary>
internal sealed class MemberEndpoint(Uri baseUri)
{
    private static readonly TimeSpan MaxRest = TimeSpan.FromSeconds(5);

    private long restingUntil;
    private int failuresInARow;

    /// <summary>The member's client URL, ending in '/'.</summary>
    public Uri BaseUri { get; } = baseUri;

    /// <summary>When the member may be tried again (<see cref="Environment.TickCount64"/> ms).</summary>
    public long RestingUntil => Volatile.Read(ref restingUntil);

    /// <summary>Leaves the member alone for <paramref name="retryAfter"/>, or for a rest that grows with each failure in a row.</summary>
    public void Failed(TimeSpan baseRest, TimeSpan? retryAfter)
    {
        var failures = Interlocked.Increment(ref failuresInARow);
        var rest = retryAfter ?? TimeSpan.FromTicks(Math.Min(MaxRest.Ticks, baseRest.Ticks << Math.Min(failures - 1, 16)));
        Volatile.Write(ref restingUntil, Environment.TickCount64 + (long)rest.TotalMilliseconds);
    }

    /// <summary>The member answered: try it again at once from now on.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref failuresInARow) != 0)
            Interlocked.Exchange(ref failuresInARow, 0);
        if (Volatile.Read(ref restingUntil) != 0)
            Volatile.Write(ref restingUntil, 0);
    }

    /// <inheritdoc/>
    public override string ToString() => BaseUri.ToString();
}
