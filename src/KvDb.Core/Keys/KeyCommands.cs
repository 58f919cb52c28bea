// The keys feature's commands: a put or a delete of one key, with an optional condition
// (optimistic locking), idempotency key and lease. Fields are addressed by integer keys; new
// optional fields are only ever appended (see KvCommand).
using MessagePack;
using MessagePack.Formatters;

namespace KvDb.Core.Commands;

/// <summary>A command that acts on one user key.</summary>
public abstract class KeyCommand : KvCommand
{
    /// <summary>The key the command acts on (UTF-8 bytes of the user's key).</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <inheritdoc/>
    public override string? Validate() => Key is null or { Length: 0 } ? "a key command without a key" : null;
}

/// <summary>Stores <see cref="Value"/> under <see cref="KeyCommand.Key"/>, replacing any previous value.</summary>
[MessagePackObject]
[MessagePackFormatter(typeof(PutCommandFormatter))]
public sealed class PutCommand : KeyCommand
{
    /// <summary>The value bytes: raw, or a typed value in <c>TypedValueCodec</c>'s form (see <see cref="Kind"/>).</summary>
    [Key(1)]
    public required byte[] Value { get; init; }

    /// <summary>What <see cref="Value"/> holds.</summary>
    [Key(2)]
    public ValueKind Kind { get; init; }

    /// <summary>A condition on the key's current state, checked when the command is applied.</summary>
    [Key(3)]
    public Precondition? Condition { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(4)]
    public string? IdempotencyKey { get; init; }

    /// <summary>The lease to attach the key to (0: none; a put without a lease detaches the key from its lease).</summary>
    [Key(5)]
    public long Lease { get; init; }

    /// <summary>When above 0: first grant <see cref="Lease"/> with this TTL, in the same entry (a key with a TTL).</summary>
    [Key(6)]
    public long GrantTtlMs { get; init; }

    /// <summary>The user the lease granted by <see cref="GrantTtlMs"/> belongs to; null with auth off (and ignored without a grant).</summary>
    [Key(7)]
    public string? GrantOwner { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + Value.Length + 48 + (IdempotencyKey?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => base.Validate() ?? (Value is null ? "a put without a value" : null);
}

/// <summary>Removes <see cref="KeyCommand.Key"/>.</summary>
[MessagePackObject]
public sealed class DeleteCommand : KeyCommand
{
    /// <summary>A condition on the key's current state, checked when the command is applied.</summary>
    [Key(1)]
    public Precondition? Condition { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(2)]
    public string? IdempotencyKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + 32 + (IdempotencyKey?.Length ?? 0);
}

/// <summary>What a stored value's payload is.</summary>
public enum ValueKind : byte
{
    /// <summary>Raw bytes, as PUT through the kv-db and /v1 APIs.</summary>
    Raw = 0,

    /// <summary>A typed value of the S2 API, in <c>TypedValueCodec</c>'s MessagePack form.</summary>
    Typed = 1,
}

/// <summary>
/// A condition on a key's state at the moment a write is applied (HTTP If-Match / If-None-Match):
/// optimistic locking that holds across members because every member checks it at the same
/// point of the log.
/// </summary>
[MessagePackObject]
public sealed class Precondition
{
    /// <summary>The key must exist with exactly this revision (If-Match: "revision").</summary>
    [Key(0)]
    public long? Revision { get; init; }

    /// <summary>The key must not exist (If-None-Match: *).</summary>
    [Key(1)]
    public bool MustNotExist { get; init; }

    /// <summary>The key must exist, whatever its revision (If-Match: *).</summary>
    [Key(2)]
    public bool MustExist { get; init; }

    /// <summary>Whether a key currently at <paramref name="currentRevision"/> (0 = absent) satisfies the condition.</summary>
    public bool IsSatisfiedBy(long currentRevision)
        => (Revision is not { } expected || expected == currentRevision)
           && (!MustNotExist || currentRevision == 0)
           && (!MustExist || currentRevision != 0);
}

/// <summary>
/// Writes a <see cref="PutCommand"/> as MessagePack's generated formatter does (an array of its
/// fields in key order), except that <see cref="PutCommand.GrantOwner"/>, added after puts were
/// first written to logs, is left out while it is null: such a put is byte for byte what earlier
/// releases wrote, and they read one with an owner by skipping the element they do not know.
/// </summary>
public sealed class PutCommandFormatter : IMessagePackFormatter<PutCommand?>
{
    private const int EarlierFields = 7;

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, PutCommand? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(value.GrantOwner is null ? EarlierFields : EarlierFields + 1);
        writer.Write(value.Key);
        writer.Write(value.Value);
        writer.Write((byte)value.Kind);
        options.Resolver.GetFormatterWithVerify<Precondition?>().Serialize(ref writer, value.Condition, options);
        writer.Write(value.IdempotencyKey);
        writer.Write(value.Lease);
        writer.Write(value.GrantTtlMs);
        if (value.GrantOwner is not null)
            writer.Write(value.GrantOwner);
    }

    /// <inheritdoc/>
    public PutCommand? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        options.Security.DepthStep(ref reader);
        byte[]? key = null, value = null;
        var kind = ValueKind.Raw;
        Precondition? condition = null;
        string? idempotencyKey = null, owner = null;
        long lease = 0, grantTtlMs = 0;
        var count = reader.ReadArrayHeader();
        for (var i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0:
                    key = ByteArrayFormatter.Instance.Deserialize(ref reader, options);
                    break;
                case 1:
                    value = ByteArrayFormatter.Instance.Deserialize(ref reader, options);
                    break;
                case 2:
                    kind = (ValueKind)reader.ReadByte();
                    break;
                case 3:
                    condition = options.Resolver.GetFormatterWithVerify<Precondition?>().Deserialize(ref reader, options);
                    break;
                case 4:
                    idempotencyKey = reader.ReadString();
                    break;
                case 5:
                    lease = reader.ReadInt64();
                    break;
                case 6:
                    grantTtlMs = reader.ReadInt64();
                    break;
                case 7:
                    owner = reader.ReadString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Depth--;
        return new PutCommand { Key = key!, Value = value!, Kind = kind, Condition = condition, IdempotencyKey = idempotencyKey, Lease = lease, GrantTtlMs = grantTtlMs, GrantOwner = owner };
    }
}
