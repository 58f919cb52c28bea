// Chooses which of the engine's flush points DotNext sees as the snapshot: the state the log
// may be compacted up to, and what a lagging member is sent.
// Invariants:
//  - Each new flush point is pinned (its files kept) as soon as it exists; it is published only
//    once it is CatchUpEntries behind what is applied, so a follower that is a little behind
//    catches up from the log instead of needing a whole snapshot.
//  - At most MaxPinned flush points wait; beyond that the newest waiting one is published.
//  - Publishing releases the previous snapshot and every older pinned point; a transfer still
//    streaming one keeps its files until it ends (CheckpointSnapshot counts references).
//  - Publication also advances once a second without a flush (a quiet cluster after a burst).
using KvDb.Core.Storage;
using Microsoft.Extensions.Logging;

namespace KvDb.Core.Snapshots;

/// <summary>Pins the engine's flush points and publishes one of them as the Raft snapshot.</summary>
public sealed partial class SnapshotPublisher : IAsyncDisposable
{
    private const int MaxPinned = 4;

    private readonly StorageEngine engine;
    private readonly string advertisedUrl;
    private readonly long catchUpEntries;
    private readonly Func<long> appliedIndex;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly List<CheckpointSnapshot> pinned = [];
    private readonly Timer republisher;
    private CheckpointSnapshot? published;
    private bool disposed;

    /// <summary>Starts publishing; the engine's current durable state, if any, is published at once.</summary>
    /// <param name="engine">The engine whose flush points are published.</param>
    /// <param name="advertisedUrl">The base URL other members fetch this member's archives from.</param>
    /// <param name="catchUpEntries">How far behind the applied index a flush point must be before it is published.</param>
    /// <param name="appliedIndex">The state machine's applied index.</param>
    /// <param name="logger">Where publications are logged.</param>
    public SnapshotPublisher(StorageEngine engine, string advertisedUrl, long catchUpEntries, Func<long> appliedIndex, ILogger logger)
    {
        this.engine = engine;
        this.advertisedUrl = advertisedUrl;
        this.catchUpEntries = catchUpEntries;
        this.appliedIndex = appliedIndex;
        this.logger = logger;
        engine.Flushed += OnFlushed;
        if (engine.DurableIndex > 0)
            PinNewest(publishNow: true);

        republisher = new Timer(static state => ((SnapshotPublisher)state!).Republish(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The published snapshot, or null before the first flush.</summary>
    public CheckpointSnapshot? Published => Volatile.Read(ref published);

    /// <summary>The index of the published snapshot, or 0.</summary>
    public long Index => Published?.Index ?? 0L;

    /// <summary>
    /// Pins the engine's newest flush point and publishes it now (after an install, whose state
    /// the log no longer holds) or when it is old enough.
    /// </summary>
    public void PinNewest(bool publishNow)
    {
        lock (gate)
        {
            if (disposed)
                return;
            if (engine.DurableIndex > ((pinned.Count > 0 ? pinned[^1] : published)?.Index ?? 0))
                pinned.Add(new CheckpointSnapshot(engine.OpenCheckpoint(), advertisedUrl));
            Advance(publishNow);
        }
    }

    /// <summary>
    /// Streams the archive of the published or a pinned snapshot at <paramref name="index"/>
    /// (for a member fetching it); null when no such snapshot is held any more.
    /// </summary>
    public Stream? OpenArchive(long index, CancellationToken token)
    {
        lock (gate)
        {
            var snapshot = published?.Index == index ? published : pinned.Find(p => p.Index == index);
            return snapshot?.OpenArchive(token);
        }
    }

    private void OnFlushed(long durableIndex) => PinNewest(publishNow: false);

    private void Republish()
    {
        lock (gate)
        {
            if (!disposed)
                Advance(publishNow: false);
        }
    }

    // Called under gate.
    private void Advance(bool publishNow)
    {
        var applied = appliedIndex();
        var choice = -1;
        for (var i = 0; i < pinned.Count; i++)
        {
            if (publishNow || pinned.Count - i > MaxPinned || pinned[i].Index <= applied - catchUpEntries)
                choice = i;
        }

        if (choice < 0)
            return;

        var next = pinned[choice];
        pinned.RemoveRange(0, choice + 1);
        var previous = published;
        Volatile.Write(ref published, next);
        previous?.Release();
        LogPublished(next.Index, next.ArchiveLength);
    }

    /// <summary>Stops publishing and releases every pinned flush point.</summary>
    public async ValueTask DisposeAsync()
    {
        engine.Flushed -= OnFlushed;
        await republisher.DisposeAsync().ConfigureAwait(false);
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            published?.Release();
            published = null;
            pinned.ForEach(static p => p.Release());
            pinned.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at index {Index} ({Bytes} bytes of tables): the log before it can be compacted")]
    private partial void LogPublished(long index, long bytes);
}
