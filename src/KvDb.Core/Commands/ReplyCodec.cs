// The MessagePack encoding of command replies (a transaction's answer, an append's offsets) and
// of the fingerprints that tell an idempotent retry from a reused key.
// Invariants: replies are read with untrusted-data limits (they cross the peer port); a
// fingerprint hashes the command as the producer sent it, without its idempotency key.
using System.IO.Hashing;
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>Encodes and decodes command replies.</summary>
public static class ReplyCodec
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Encodes <paramref name="reply"/>.</summary>
    public static byte[] Encode<T>(T reply) => MessagePackSerializer.Serialize(reply, Options);

    /// <summary>Decodes a reply made by <see cref="Encode{T}"/>.</summary>
    public static T Decode<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    /// <summary>A 64-bit hash of <paramref name="command"/>'s encoding; give it a copy without the idempotency key.</summary>
    public static ulong Fingerprint<T>(T command) => XxHash64.HashToUInt64(MessagePackSerializer.Serialize(command, Options));
}
