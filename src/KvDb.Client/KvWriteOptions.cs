// Per-write settings: the condition and, for callers that retry a logical write themselves
// (e.g. across a process restart), the idempotency key to reuse.

namespace KvDb.Client;

/// <summary>Options of one put or delete.</summary>
public sealed class KvWriteOptions
{
    /// <summary>The condition the write must meet (default <see cref="WriteCondition.None"/>).</summary>
    public WriteCondition Condition { get; init; }

    /// <summary>
    /// The <c>Idempotency-Key</c> of this logical write, 1 to 255 visible ASCII characters; null
    /// (the default) for a new GUID. The client sends the same key on each of its own retries, so
    /// a write is applied once; pass the key of <see cref="KvUnavailableException.IdempotencyKey"/>
    /// to retry a write whose outcome is unknown. kvdb remembers keys for 15 minutes.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Options with only <paramref name="condition"/>.</summary>
    public static KvWriteOptions When(WriteCondition condition) => new() { Condition = condition };
}
