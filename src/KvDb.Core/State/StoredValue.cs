// A user key's value as stored: what it is, when it was created and last written, and its bytes.
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>A decoded stored value.</summary>
/// <param name="Kind">Raw bytes or a typed value.</param>
/// <param name="Revision">The Raft index of the entry that last wrote the key.</param>
/// <param name="Payload">The value bytes (a <c>TypedValueCodec</c> encoding when <paramref name="Kind"/> is typed).</param>
/// <param name="CreateRevision">The index of the entry that created the key.</param>
/// <param name="Version">Writes to the key since it was created (1 after the creating write).</param>
/// <param name="Lease">The lease the key is attached to, or 0.</param>
public readonly record struct StoredValue(ValueKind Kind, long Revision, ReadOnlyMemory<byte> Payload, long CreateRevision, long Version, long Lease = 0)
{
    /// <summary>Decodes a record written by <see cref="UserRecord.Encode"/>.</summary>
    public static StoredValue Decode(byte[] record)
        => new(UserRecord.Kind(record), UserRecord.Revision(record), UserRecord.Payload(record), UserRecord.CreateRevision(record), UserRecord.Version(record), UserRecord.Lease(record));
}
