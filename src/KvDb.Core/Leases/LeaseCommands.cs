// Lease commands as they travel through the Raft log. Expiry is not a clock on any member: the
// leader decides a lease has run out (by its own monotonic clock) and proposes its revocation,
// so every member deletes the same keys at the same point of the log.
using KvDb.Core.Commands;
using MessagePack;
using MessagePack.Formatters;

namespace KvDb.Core.Leases;

/// <summary>Grants lease <see cref="Id"/> with a time to live of <see cref="TtlMs"/>.</summary>
[MessagePackObject]
[MessagePackFormatter(typeof(GrantLeaseCommandFormatter))]
public sealed class GrantLeaseCommand : KvCommand
{
    /// <summary>The lease's id, chosen by the proposer (positive, below 2^53 so JSON clients keep it exact).</summary>
    [Key(0)]
    public long Id { get; init; }

    /// <summary>Its time to live in milliseconds.</summary>
    [Key(1)]
    public long TtlMs { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(2)]
    public string? IdempotencyKey { get; init; }

    /// <summary>The user the lease belongs to; null when granted with auth off.</summary>
    [Key(3)]
    public string? Owner { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 32 + (IdempotencyKey?.Length ?? 0) + (Owner?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 || TtlMs <= 0 ? "a lease grant without a positive id and TTL" : null;
}

/// <summary>Revokes lease <see cref="Id"/>: deletes every key attached to it and the lease, in one entry.</summary>
[MessagePackObject]
public sealed class RevokeLeaseCommand : KvCommand
{
    /// <summary>The lease's id.</summary>
    [Key(0)]
    public long Id { get; init; }

    /// <summary>True when the leader revokes it because it expired, false when a client revoked it.</summary>
    [Key(1)]
    public bool Expired { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 24;

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 ? "a lease revocation without a positive id" : null;
}

/// <summary>
/// Writes a <see cref="GrantLeaseCommand"/> as MessagePack's generated formatter does, except that
/// <see cref="GrantLeaseCommand.Owner"/>, added after grants were first written to logs, is left
/// out while it is null: an ownerless grant is byte for byte what earlier releases wrote, and they
/// read one with an owner by skipping the element they do not know.
/// </summary>
public sealed class GrantLeaseCommandFormatter : IMessagePackFormatter<GrantLeaseCommand?>
{
    private const int EarlierFields = 3;

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, GrantLeaseCommand? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(value.Owner is null ? EarlierFields : EarlierFields + 1);
        writer.Write(value.Id);
        writer.Write(value.TtlMs);
        writer.Write(value.IdempotencyKey);
        if (value.Owner is not null)
            writer.Write(value.Owner);
    }

    /// <inheritdoc/>
    public GrantLeaseCommand? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        options.Security.DepthStep(ref reader);
        long id = 0, ttlMs = 0;
        string? idempotencyKey = null, owner = null;
        var count = reader.ReadArrayHeader();
        for (var i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0:
                    id = reader.ReadInt64();
                    break;
                case 1:
                    ttlMs = reader.ReadInt64();
                    break;
                case 2:
                    idempotencyKey = reader.ReadString();
                    break;
                case 3:
                    owner = reader.ReadString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Depth--;
        return new GrantLeaseCommand { Id = id, TtlMs = ttlMs, IdempotencyKey = idempotencyKey, Owner = owner };
    }
}
