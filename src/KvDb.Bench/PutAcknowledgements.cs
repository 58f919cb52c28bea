// Watch mode's record of the measured puts: for each successful put that started in the
// measured window, its revision (from the answer), its key and when its answer arrived (a
// Stopwatch timestamp). A revision names one Raft entry, which may carry several puts of
// different keys (group commit), so a put is identified by (revision, key). Invariants:
//  - Each worker appends only to its own list and has one request in flight, so recording takes
//    no lock; the lists are read only after every worker has finished (the drivers'
//    Task.WhenAll orders those reads after the writes).
//  - A put answered without a revision is counted, never recorded: it cannot be matched.
namespace KvDb.Bench;

/// <summary>One acknowledged put: its revision, key index and the Stopwatch timestamp of its answer.</summary>
public readonly record struct PutAck(long Revision, int Key, long AcknowledgedAt);

/// <summary>The acknowledged puts of the measured window, per worker.</summary>
public sealed class PutAcknowledgements
{
    // 50k puts over 64 workers is ~800 each; a list that must grow a few times costs nothing.
    private const int InitialCapacity = 1024;

    private readonly List<PutAck>[] perWorker;
    private readonly long[] withoutRevision;

    /// <summary>Room for <paramref name="workers"/> workers' acknowledgements.</summary>
    public PutAcknowledgements(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        perWorker = new List<PutAck>[workers];
        for (var i = 0; i < perWorker.Length; i++)
            perWorker[i] = new List<PutAck>(InitialCapacity);
        withoutRevision = new long[workers];
    }

    /// <summary>Records worker <paramref name="worker"/>'s put of key <paramref name="key"/>, acknowledged at <paramref name="acknowledgedAt"/> with <paramref name="revision"/> (0: none reported).</summary>
    public void Record(int worker, long revision, int key, long acknowledgedAt)
    {
        if (revision > 0)
            perWorker[worker].Add(new PutAck(revision, key, acknowledgedAt));
        else
            withoutRevision[worker]++;
    }

    /// <summary>Every recorded put; only once the workers have finished.</summary>
    public IEnumerable<PutAck> All => perWorker.SelectMany(list => list);

    /// <summary>How many puts were recorded; only once the workers have finished.</summary>
    public int Count => perWorker.Sum(list => list.Count);

    /// <summary>Successful measured puts whose answer carried no revision (not matched against watchers).</summary>
    public long WithoutRevision => withoutRevision.Sum();

    /// <summary>The highest recorded revision, 0 when none; only once the workers have finished.</summary>
    public long HighestRevision => perWorker.Max(list => list.Count == 0 ? 0 : list.Max(ack => ack.Revision));
}
