// The key-value operations every HTTP API shares (kv-db's root paths, /v1/kv and S2's /api):
// writes go through Raft, reads through a shared read barrier (linearizable) or straight to
// the member's applied state (local).
// Invariants: a write is answered only after it is committed, durable and applied here (see
// ProposalBatcher); --throttle-append-acks only delays that answer, never the commit.
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using KvDb.Node.Reads;
using KvDb.Node.Writes;

namespace KvDb.Node.HttpKit;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistency
{
    /// <summary>Reflects every write acknowledged before the read began (a Raft read barrier).</summary>
    Linearizable,

    /// <summary>This member's applied state, at once; may lag the leader.</summary>
    Local,
}

/// <summary>Reads and writes keys through the replicated state machine.</summary>
public sealed class KvService(LocalState state, IProposer proposer, IReadBarrier reader, DiskSpaceGuard diskSpace, NodeOptions options)
{
    /// <summary>The accepted spellings of the consistency parameter, for error messages.</summary>
    public const string ConsistencyNames = "'linearizable' (the default) or 'local'";

    /// <summary>What the consistency query parameter does, for the OpenAPI document.</summary>
    public const string ConsistencyDescription = "linearizable (the default: waits for a read barrier, so the answer includes every write acknowledged before the request) or local (this member's applied state, at once).";

    /// <summary>Parses a consistency query value; null or empty means linearizable.</summary>
    public static bool TryParseConsistency(string? text, out ReadConsistency consistency)
    {
        consistency = ReadConsistency.Linearizable;
        switch (text?.ToLowerInvariant())
        {
            case null or "" or "linearizable" or "strong":
                return true;
            case "local" or "eventual":
                consistency = ReadConsistency.Local;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Proposes a put or delete and waits until it is committed, durable and applied here.</summary>
    /// <exception cref="UnavailableException">No leader or quorum within the request timeout.</exception>
    /// <exception cref="InsufficientStorageException">This member's or the leader's disk is below --min-free-disk; nothing was proposed.</exception>
    public async Task<ProposalResult> WriteAsync(KvCommand command, CancellationToken token)
    {
        diskSpace.ThrowIfLow();
        var result = await proposer.ProposeAsync(command, mayForward: true, token).ConfigureAwait(false);
        if (options.ThrottleAppendAcks > TimeSpan.Zero)
            await Task.Delay(options.ThrottleAppendAcks, token).ConfigureAwait(false);
        return result;
    }

    /// <summary>The revision of this member's applied state (the store's revision).</summary>
    public long AppliedIndex => state.AppliedIndex;

    /// <summary>Reads <paramref name="key"/>; null when absent.</summary>
    /// <exception cref="UnavailableException">A linearizable read could not confirm the latest state in time.</exception>
    public async ValueTask<StoredValue?> GetAsync(byte[] key, ReadConsistency consistency, CancellationToken token)
    {
        await WaitForConsistencyAsync(consistency, token).ConfigureAwait(false);

        // Spelled out: 'found ? value : null' would not produce a null nullable struct here.
        if (!state.Store.TryGet(StoreKeys.ForUser(key), out var record))
            return null;
        return StoredValue.Decode(record!);
    }

    /// <summary>Opens a point-in-time view of the state, as fresh as <paramref name="consistency"/> asks.</summary>
    /// <exception cref="UnavailableException">A linearizable read could not confirm the latest state in time.</exception>
    public async ValueTask<IKeyValueView> OpenViewAsync(ReadConsistency consistency, CancellationToken token)
    {
        await WaitForConsistencyAsync(consistency, token).ConfigureAwait(false);
        return state.Store.OpenView();
    }

    private Task WaitForConsistencyAsync(ReadConsistency consistency, CancellationToken token)
        => consistency is ReadConsistency.Linearizable ? reader.WaitAsync(token) : Task.CompletedTask;
}
