// One open watch as the hub sees it: its filter, and the matching changes the hub has handed it
// that its stream has not written yet.
// Invariants:
//  - The hub offers whole revisions, in order, each only once: a revision's matching changes
//    enter the queue together or not at all.
//  - The queue holds at most MaxQueued changes and about MaxQueuedBytes of keys and values. A revision that does not fit drops the watcher
//    from the hub instead (Dropped, with ResumeAfter the last revision offered whole); its
//    stream then catches up by itself from the history, so a slow client costs a cursor, not
//    memory.
//  - Revisions at or below DeliverAfter are never queued (the stream has written them already).
using System.Diagnostics.CodeAnalysis;
using KvDb.Core.Watch;

namespace KvDb.Node.Watch;

/// <summary>A watch registered with the <see cref="WatchHub"/>.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The SemaphoreSlim only holds an OS handle once AvailableWaitHandle is read, which Watcher never does; disposing it would race the hub, which may still Wake() a watcher its stream has just let go (Release on a disposed semaphore throws).")]
public sealed class Watcher(KeyFilter filter)
{
    /// <summary>The most changes queued for one watcher.</summary>
    public const int MaxQueued = 4096;

    /// <summary>About the most bytes of keys and values queued for one watcher.</summary>
    public const long MaxQueuedBytes = 1 << 20;

    private readonly Lock gate = new();
    private readonly Queue<(long Revision, ChangeEvent Change)> queued = new();
    private readonly SemaphoreSlim signal = new(0, 1);
    private long queuedBytes;
    private long deliverAfter;
    private long resumeAfter;
    private bool dropped;

    /// <summary>Which keys the watch follows.</summary>
    public KeyFilter Filter { get; } = filter;

    /// <summary>True once the hub stopped offering changes because the queue was full.</summary>
    public bool Dropped
    {
        get { lock (gate) return dropped; }
    }

    /// <summary>When <see cref="Dropped"/>: every revision up to this one was offered whole.</summary>
    public long ResumeAfter
    {
        get { lock (gate) return resumeAfter; }
    }

    /// <summary>Starts (again) taking changes after <paramref name="revision"/>; called by the hub when it registers the watcher.</summary>
    internal void Attach(long revision)
    {
        lock (gate)
        {
            dropped = false;
            deliverAfter = revision;
        }
    }

    /// <summary>Queues the changes of <paramref name="record"/> that match; false (and nothing queued) when they do not fit.</summary>
    internal bool Offer(long revision, ChangeRecord record)
    {
        var matching = 0;
        long bytes = 0;
        foreach (var change in record.Events)
        {
            if (Filter.Contains(change.Key))
            {
                matching++;
                bytes += SizeOf(change);
            }
        }

        if (matching == 0)
            return true;

        var fits = true;
        lock (gate)
        {
            if (revision <= deliverAfter)
                return true;
            // An empty queue takes any one revision, however big, so a watcher always moves on.
            if (queued.Count > 0 && (queued.Count + matching > MaxQueued || queuedBytes + bytes > MaxQueuedBytes))
            {
                fits = false;
                MarkDropped(revision - 1);
            }
            else
            {
                foreach (var change in record.Events)
                {
                    if (Filter.Contains(change.Key))
                        queued.Enqueue((revision, change));
                }

                queuedBytes += bytes;
            }
        }

        Wake();
        return fits;
    }

    /// <summary>Stops taking changes: every revision up to <paramref name="offeredWhole"/> was offered.</summary>
    internal void Drop(long offeredWhole)
    {
        lock (gate)
            MarkDropped(offeredWhole);
        Wake();
    }

    private static long SizeOf(ChangeEvent change) => 64 + change.Key.Length + (change.Value?.Length ?? 0) + (change.Previous?.Length ?? 0);

    private void MarkDropped(long offeredWhole)
    {
        if (dropped)
            return;
        dropped = true;
        resumeAfter = long.Max(offeredWhole, deliverAfter);
    }

    /// <summary>Empties the queue (an attach that failed half way).</summary>
    internal void Forget()
    {
        lock (gate)
        {
            queued.Clear();
            queuedBytes = 0;
        }
    }

    /// <summary>Moves every queued change to <paramref name="into"/>, in order.</summary>
    public void Drain(List<(long Revision, ChangeEvent Change)> into)
    {
        lock (gate)
        {
            while (queued.TryDequeue(out var item))
                into.Add(item);
            queuedBytes = 0;
        }
    }

    /// <summary>Waits until changes are queued or the watcher is dropped (or a wake-up left from before), or <paramref name="timeout"/> passes.</summary>
    /// <returns>True when woken, false when the time ran out.</returns>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken token) => signal.WaitAsync(timeout, token);

    private void Wake()
    {
        // Releases come from the hub only, one at a time; a waiter can only lower the count
        // between the check and the release, so the semaphore never overflows.
        if (signal.CurrentCount == 0)
            signal.Release();
    }
}
