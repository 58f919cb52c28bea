// The body of an S2-style write request: {"key": "...", "value": <typed value>}.
// Invariants: Key is non-null, well-formed text (it may be empty: the HTTP layer decides
// whether an empty key is allowed); Value is a non-null canonical TypedValue. Both are checked
// by the constructor, and the properties are get-only so `with` cannot bypass the checks.
namespace KvDb.Core.Values;

/// <summary>A key and its typed value, as carried by the request envelope <c>{"key": ..., "value": ...}</c>.</summary>
public sealed record KeyValueEnvelope
{
    /// <summary>Creates an envelope.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> contains an unpaired surrogate.</exception>
    public KeyValueEnvelope(string key, TypedValue value)
    {
        TypedValue.EnsureWellFormed(key, nameof(key));
        ArgumentNullException.ThrowIfNull(value);
        Key = key;
        Value = value;
    }

    /// <summary>The key, as text.</summary>
    public string Key { get; }

    /// <summary>The value.</summary>
    public TypedValue Value { get; }
}
