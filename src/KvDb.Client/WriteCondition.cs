// The precondition of a write, as kvdb checks it inside the state machine when the write is
// applied (If-Match / If-None-Match on the wire). Invariant: at most one condition per write.
using System.Globalization;

namespace KvDb.Client;

/// <summary>A condition a write must meet to be applied: none, the key's current revision, or the key's absence or presence.</summary>
/// <remarks>A write whose condition does not hold fails with <see cref="KvConditionFailedException"/>, which carries the key's current revision.</remarks>
public readonly record struct WriteCondition
{
    private const long Absent = -1;
    private const long Present = -2;

    // 0: no condition; > 0: that revision; Absent, Present.
    private readonly long expected;

    private WriteCondition(long expected) => this.expected = expected;

    /// <summary>No condition: the write is applied whatever the key holds.</summary>
    public static WriteCondition None => default;

    /// <summary>Only if the key does not exist (create only; <c>If-None-Match: *</c>).</summary>
    public static WriteCondition KeyAbsent => new(Absent);

    /// <summary>Only if the key exists, at any revision (<c>If-Match: *</c>).</summary>
    public static WriteCondition KeyExists => new(Present);

    /// <summary>Only if the key is at <paramref name="revision"/> (compare-and-swap; <c>If-Match: "revision"</c>).</summary>
    /// <param name="revision">A revision read before, from <see cref="KvEntry.Revision"/> or a write's result; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="revision"/> is not positive.</exception>
    public static WriteCondition RevisionIs(long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(revision);
        return new(revision);
    }

    /// <summary>The revision the key must be at, or null when the condition is not about a revision.</summary>
    public long? Revision => expected > 0 ? expected : null;

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => expected == 0;

    /// <summary>Sets the request headers that carry this condition.</summary>
    internal void ApplyTo(HttpRequestMessage request)
    {
        switch (expected)
        {
            case 0:
                return;
            case Absent:
                request.Headers.TryAddWithoutValidation("If-None-Match", "*");
                return;
            case Present:
                request.Headers.TryAddWithoutValidation("If-Match", "*");
                return;
            default:
                request.Headers.TryAddWithoutValidation("If-Match", "\"" + expected.ToString(CultureInfo.InvariantCulture) + "\"");
                return;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => expected switch
    {
        0 => "none",
        Absent => "key absent",
        Present => "key exists",
        _ => "revision is " + expected.ToString(CultureInfo.InvariantCulture),
    };
}
