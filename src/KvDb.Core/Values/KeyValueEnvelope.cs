// The body of an S2-style write request: {"key": "...", "value": <typed value>}.
// Invariants: Key is non-null well-formed text (it may be empty: the HTTP layer decides
// whether an empty key is allowed); Value is a canonical TypedValue.
namespace KvDb.Core.Values;

/// <summary>A key and its typed value, as carried by the request envelope <c>{"key": ..., "value": ...}</c>.</summary>
/// <param name="Key">The key, as text.</param>
/// <param name="Value">The value.</param>
public sealed record KeyValueEnvelope(string Key, TypedValue Value);
