// The key-value operations the HTTP endpoints share: writes go through Raft, reads through
// a shared read barrier (linearizable) or straight to local state (local).
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Node.Raft;

namespace KvDb.Node.Http;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistency
{
    /// <summary>Reflects every write acknowledged before the read began (a Raft read barrier).</summary>
    Linearizable,

    /// <summary>This member's applied state, at once; may lag the leader.</summary>
    Local,
}

/// <summary>Reads and writes keys through the replicated state machine.</summary>
public sealed class KvService(RaftNode node, ProposalBatcher batcher, LinearizableReader reader)
{
    /// <summary>Parses a consistency query value; null or empty means linearizable.</summary>
    public static bool TryParseConsistency(string? text, out ReadConsistency consistency)
    {
        consistency = ReadConsistency.Linearizable;
        switch (text?.ToLowerInvariant())
        {
            case null or "" or "linearizable" or "strong":
                return true;
            case "local":
                consistency = ReadConsistency.Local;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> once a majority has committed it.</summary>
    public Task<ProposalResult> PutAsync(byte[] key, byte[] value, CancellationToken token)
        => batcher.ProposeAsync(new PutCommand { Key = key, Value = value }, mayForward: true, token);

    /// <summary>Reads <paramref name="key"/>'s value bytes; null when absent.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> GetAsync(byte[] key, ReadConsistency consistency, CancellationToken token)
    {
        if (consistency is ReadConsistency.Linearizable)
            await reader.WaitAsync(token).ConfigureAwait(false);
        // Spelled out: 'cond ? memory : null' would turn null into an empty memory, not a null.
        if (!node.StateMachine.Store.TryGet(StoreKeys.ForUser(key), out var record))
            return null;
        return UserRecord.Payload(record!);
    }
}
