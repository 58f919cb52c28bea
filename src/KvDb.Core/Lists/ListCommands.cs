// List commands as they travel through the Raft log (klstore's keyspaces and appendable lists).
// Invariants: plain data; what applying one does is decided by CommandExecutor at its point in
// the log. An append's default timestamp is the entry's proposed-at time (the leader's clock,
// recorded in the log), so every member assigns the same timestamps.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Lists;

/// <summary>Creates keyspace <see cref="Name"/>; a conflict if it exists.</summary>
[MessagePackObject]
public sealed class CreateKeyspaceCommand : KvCommand
{
    /// <summary>The keyspace's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Name.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) ? "a keyspace without a name" : null;
}

/// <summary>Deletes keyspace <see cref="Name"/> and every list in it.</summary>
[MessagePackObject]
public sealed class DeleteKeyspaceCommand : KvCommand
{
    /// <summary>The keyspace's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Name.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) ? "a keyspace deletion without a name" : null;
}

/// <summary>One item to append.</summary>
[MessagePackObject]
public sealed class AppendItem
{
    /// <summary>The item's bytes.</summary>
    [Key(0)]
    public required byte[] Value { get; init; }

    /// <summary>The producer's nonce (128 bits, big-endian), or null for an item without one (never skipped).</summary>
    [Key(1)]
    public byte[]? Nonce { get; init; }

    /// <summary>The item's time (Unix ms), or null for the entry's proposed-at time.</summary>
    [Key(2)]
    public long? TimestampMs { get; init; }
}

/// <summary>Appends <see cref="Items"/> to list <see cref="Key"/> of keyspace <see cref="Keyspace"/>, skipping items whose nonce is not above the list's last.</summary>
[MessagePackObject]
public sealed class AppendCommand : KvCommand
{
    /// <summary>The keyspace.</summary>
    [Key(0)]
    public required string Keyspace { get; init; }

    /// <summary>The list's key.</summary>
    [Key(1)]
    public required byte[] Key { get; init; }

    /// <summary>The items, in order.</summary>
    [Key(2)]
    public required AppendItem[] Items { get; init; }

    /// <summary>
    /// Makes a retried append apply once and answer the first reply (for items without nonces,
    /// which nonce checking cannot de-duplicate); null for none. Entries written before it existed
    /// decode with null.
    /// </summary>
    [Key(3)]
    public string? IdempotencyKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 32 + Keyspace.Length + Key.Length + Items.Sum(static i => 40 + i.Value.Length) + (IdempotencyKey?.Length ?? 0);

    /// <summary>
    /// A hash of what the producer asked for (not the key it was sent with): the same append
    /// resent with its Idempotency-Key has the same fingerprint; a different one does not.
    /// </summary>
    public ulong Fingerprint() => ReplyCodec.Fingerprint(new AppendCommand { Keyspace = Keyspace, Key = Key, Items = Items });

    /// <inheritdoc/>
    public override string? Validate()
        => string.IsNullOrEmpty(Keyspace) || Key is not { Length: > 0 } || Items is null || Array.Exists(Items, static i => i?.Value is null || i.Nonce is { Length: not 16 })
            ? "an append without a keyspace, a key or well-formed items"
            : null;
}
