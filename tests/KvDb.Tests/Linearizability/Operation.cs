// The history model: what one client asked of one key, what it was told, and when.
// Invariants:
//  - Every type here is immutable and validated on construction, so the checker never sees an
//    operation whose outcome cannot belong to its input: a Get yields Found/NotFound, a Put or
//    Delete yields Ok, a Cas yields Ok or PreconditionFailed, and any of them may be Unknown.
//  - Timestamps are ticks of one monotonic clock shared by every client of a history
//    (Stopwatch.GetTimestamp() when recorded by HistoryRecorder). Call is read before the
//    request leaves the client and Return after the reply arrived, so [Call, Return] contains
//    the instant the store really acted. Call <= Return always holds.
//  - An Unknown outcome means the client cannot tell whether the operation took effect. Its
//    Return is only when the client gave up; the checker treats the operation as pending
//    forever: it may take effect at any instant after Call, or never.
//  - Values are compared ordinally. A null value means "the key is absent" wherever a value may
//    be missing (NotFound reads, Cas that requires absence).
using System.Globalization;
using System.Text;

namespace KvDb.Tests.Linearizability;

/// <summary>What a client asked the store to do to one key.</summary>
public enum OpKind
{
    /// <summary>Read the key's value.</summary>
    Get,

    /// <summary>Store a value, replacing any previous one.</summary>
    Put,

    /// <summary>Remove the key; removing an absent key is not an error.</summary>
    Delete,

    /// <summary>Compare-and-set: store a new value only if the current one equals an expected value.</summary>
    Cas,
}

/// <summary>The input of one operation on a single key: its kind and arguments.</summary>
public sealed record KvInput
{
    private KvInput(OpKind kind, string? value, string? expected)
    {
        Kind = kind;
        Value = value;
        Expected = expected;
    }

    /// <summary>A read.</summary>
    public static KvInput Get { get; } = new(OpKind.Get, null, null);

    /// <summary>A delete.</summary>
    public static KvInput Delete { get; } = new(OpKind.Delete, null, null);

    /// <summary>What kind of operation this is.</summary>
    public OpKind Kind { get; }

    /// <summary>For Put, the value written; for Cas, the new value; otherwise null.</summary>
    public string? Value { get; }

    /// <summary>For Cas, the value required before the swap (null: the key must be absent); otherwise null.</summary>
    public string? Expected { get; }

    /// <summary>Whether the operation may change the key (everything but Get).</summary>
    public bool IsWrite => Kind != OpKind.Get;

    /// <summary>A write of <paramref name="value"/>.</summary>
    public static KvInput Put(string value) => new(OpKind.Put, value ?? throw new ArgumentNullException(nameof(value)), null);

    /// <summary>A compare-and-set: if the key holds <paramref name="expected"/> (null: is absent), store <paramref name="newValue"/>.</summary>
    public static KvInput Cas(string? expected, string newValue)
        => new(OpKind.Cas, newValue ?? throw new ArgumentNullException(nameof(newValue)), expected);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        OpKind.Get => "Get",
        OpKind.Put => $"Put({ValueText.Of(Value)})",
        OpKind.Delete => "Delete",
        _ => $"Cas({ValueText.Of(Expected)} -> {ValueText.Of(Value)})",
    };
}

/// <summary>What kind of answer a client got.</summary>
public enum OutcomeKind
{
    /// <summary>A write took effect (Put, Delete, or a Cas whose precondition held).</summary>
    Ok,

    /// <summary>A Cas was refused because the key did not hold the expected value; nothing changed.</summary>
    PreconditionFailed,

    /// <summary>A read answered; <see cref="Outcome.Value"/> is the value, or null for "not found".</summary>
    Read,

    /// <summary>The client cannot tell whether the operation took effect (timeout, reset, 503 "outcome unknown").</summary>
    Unknown,
}

/// <summary>The answer a client got for one operation.</summary>
public sealed record Outcome
{
    private Outcome(OutcomeKind kind, string? value)
    {
        Kind = kind;
        Value = value;
    }

    /// <summary>The write took effect.</summary>
    public static Outcome Ok { get; } = new(OutcomeKind.Ok, null);

    /// <summary>The Cas precondition did not hold; nothing changed.</summary>
    public static Outcome PreconditionFailed { get; } = new(OutcomeKind.PreconditionFailed, null);

    /// <summary>The read found no value.</summary>
    public static Outcome NotFound { get; } = new(OutcomeKind.Read, null);

    /// <summary>The client does not know whether the operation took effect.</summary>
    public static Outcome Unknown { get; } = new(OutcomeKind.Unknown, null);

    /// <summary>What kind of answer this is.</summary>
    public OutcomeKind Kind { get; }

    /// <summary>For <see cref="OutcomeKind.Read"/>, the value read (null: not found); otherwise null.</summary>
    public string? Value { get; }

    /// <summary>The read found <paramref name="value"/>.</summary>
    public static Outcome Found(string value) => new(OutcomeKind.Read, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A read's answer: <paramref name="value"/>, or not found when it is null.</summary>
    public static Outcome FromRead(string? value) => value is null ? NotFound : Found(value);

    /// <summary>Whether a client could get this outcome for <paramref name="input"/>.</summary>
    public bool Fits(KvInput input) => Kind switch
    {
        OutcomeKind.Unknown => true,
        OutcomeKind.Read => input.Kind == OpKind.Get,
        OutcomeKind.Ok => input.IsWrite,
        _ => input.Kind == OpKind.Cas,
    };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        OutcomeKind.Ok => "ok",
        OutcomeKind.PreconditionFailed => "precondition failed",
        OutcomeKind.Unknown => "unknown",
        _ => ValueText.Of(Value),
    };
}

/// <summary>
/// One operation of a recorded history: a client's request on one key, the answer it got, and the
/// monotonic-clock ticks at which it was sent (<see cref="Call"/>) and answered (<see cref="Return"/>).
/// </summary>
public sealed record Operation
{
    /// <summary>Creates a validated operation.</summary>
    /// <exception cref="ArgumentException">The outcome cannot belong to the input, or Return precedes Call.</exception>
    public Operation(int clientId, string key, KvInput input, Outcome output, long call, long @return)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (!output.Fits(input))
            throw new ArgumentException($"A {input.Kind} cannot have the outcome '{output}'.", nameof(output));
        if (@return < call)
            throw new ArgumentException($"Return ({@return}) precedes Call ({call}).", nameof(@return));

        ClientId = clientId;
        Key = key;
        Input = input;
        Output = output;
        Call = call;
        Return = @return;
    }

    /// <summary>The client (logical thread) that issued the operation.</summary>
    public int ClientId { get; }

    /// <summary>The key the operation acted on.</summary>
    public string Key { get; }

    /// <summary>What was asked.</summary>
    public KvInput Input { get; }

    /// <summary>What the client was told.</summary>
    public Outcome Output { get; }

    /// <summary>Clock ticks read just before the request was sent.</summary>
    public long Call { get; }

    /// <summary>Clock ticks read just after the answer arrived (for Unknown: when the client gave up).</summary>
    public long Return { get; }

    /// <summary>Whether the client cannot tell if the operation took effect.</summary>
    public bool IsOutcomeUnknown => Output.Kind == OutcomeKind.Unknown;

    /// <inheritdoc/>
    public override string ToString() => $"client {ClientId} {ValueText.Of(Key)}: {Input} -> {Output} [{Call}, {Return}]";
}

/// <summary>Formats values for explanations: quoted, escaped, shortened; null reads as "absent".</summary>
internal static class ValueText
{
    private const int MaxShown = 48;

    public static string Of(string? value)
    {
        if (value is null)
            return "absent";
        var text = new StringBuilder("\"");
        foreach (var c in value.Length > MaxShown ? value[..MaxShown] : value)
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        text.Append('"');
        if (value.Length > MaxShown)
            text.Append(CultureInfo.InvariantCulture, $"…({value.Length} chars)");
        return text.ToString();
    }
}
