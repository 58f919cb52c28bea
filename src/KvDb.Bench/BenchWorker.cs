// The state of one benchmark worker: which endpoint it sticks to, its random source, its
// reusable request bodies, response buffer and timeout. Invariants: a worker has at most one
// request in flight, so nothing here is shared or locked; it sticks to endpoint
// Index mod endpoints for the whole run (round-robin over workers, like a client pool).
namespace KvDb.Bench;

/// <summary>One closed- or open-loop worker's private state.</summary>
public sealed class BenchWorker
{
    // Big enough for any answer's head (an etcd range answer's "kvs" comes after a ~150-byte
    // header); the rest of a longer body is read into the same space and dropped.
    private const int PrefixBytes = 4096;
    private const int ScratchBytes = 16 * 1024;

    private readonly string? mediaType;
    private readonly ReusableContent?[] bodies = new ReusableContent?[OperationKinds.Count];

    /// <summary>Worker <paramref name="index"/> over <paramref name="endpointCount"/> endpoints and <paramref name="keys"/> keys.</summary>
    public BenchWorker(int index, int endpointCount, int keys, string? mediaType)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(endpointCount, 1);
        Index = index;
        Endpoint = index % endpointCount;
        Random = new Random();
        Keys = new KeyChooser(keys, Random);
        this.mediaType = mediaType;
    }

    /// <summary>The worker's number, from 0.</summary>
    public int Index { get; }

    /// <summary>The endpoint this worker always talks to.</summary>
    public int Endpoint { get; }

    /// <summary>The worker's own random source (not thread-safe; only this worker uses it).</summary>
    public Random Random { get; }

    /// <summary>Chooses the key of each operation.</summary>
    public KeyChooser Keys { get; }

    /// <summary>Where response bodies are read: the first <see cref="Prefix"/> bytes are kept.</summary>
    public byte[] Buffer { get; } = new byte[PrefixBytes + ScratchBytes];

    /// <summary>How many bytes of <see cref="Buffer"/> form the kept head of a body.</summary>
    public static int Prefix => PrefixBytes;

    /// <summary>Cancels the request in flight when it takes longer than the timeout; reset between requests.</summary>
    public CancellationTokenSource Timeout { get; private set; } = new();

    /// <summary>The reusable body of <paramref name="kind"/> requests (one per kind, so each keeps a constant length).</summary>
    public ReusableContent Body(OperationKind kind) => bodies[(int)kind] ??= new ReusableContent(mediaType);

    /// <summary>Prepares for the next request after one ended: re-arms the timeout, and after a failed request drops bodies the abandoned request might still be writing.</summary>
    public void AfterRequest(bool failed)
    {
        if (failed)
            Array.Clear(bodies);
        if (failed || !Timeout.TryReset())
        {
            Timeout.Dispose();
            Timeout = new CancellationTokenSource();
        }
    }
}
