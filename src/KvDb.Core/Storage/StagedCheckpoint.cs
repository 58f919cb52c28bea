// A checkpoint received and verified into the staging directory, not yet part of the engine's
// state. Installing it is only renames and a manifest switch, so it can be done quickly after
// the slow receive.
// Invariants: it belongs to one engine and one staging generation; a later staging, an install
// or Dispose makes it stale, and a stale handle can never be installed.
namespace KvDb.Core.Storage;

/// <summary>A verified checkpoint waiting in an engine's staging directory.</summary>
public sealed class StagedCheckpoint : IDisposable
{
    private int consumed;

    internal StagedCheckpoint(StorageEngine engine, ReceivedCheckpoint received, long generation)
    {
        Engine = engine;
        Received = received;
        Generation = generation;
    }

    /// <summary>The Raft index of the staged state.</summary>
    public long Index => Received.Manifest.Durable.Index;

    /// <summary>The Raft term of the staged state.</summary>
    public long Term => Received.Manifest.Durable.Term;

    internal StorageEngine Engine { get; }

    internal ReceivedCheckpoint Received { get; }

    internal long Generation { get; }

    internal bool IsConsumed => Volatile.Read(ref consumed) is not 0;

    internal void MarkConsumed() => Volatile.Write(ref consumed, 1);

    /// <summary>Discards the staged files unless the checkpoint was installed.</summary>
    public void Dispose()
    {
        if (!IsConsumed)
            Engine.DiscardStaged(this);
    }
}
