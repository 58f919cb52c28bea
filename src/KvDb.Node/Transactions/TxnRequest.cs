// Reads the JSON body of POST /v1/txn (KvDb.Contracts' TxnRequestJson) into a TxnCommand, or
// says what is wrong with it.
//   {"if":   [{"key": K | "prefix": P | "start": S, "end": E,
//              "target": "revision|createRevision|version|value|exists|count", "op": "==|!=|<|>", "value": V}],
//    "then": [{"put": {"key", "value" | "valueBase64" | "typed"}}, {"delete": {"key" | "prefix" | "start","end"}},
//             {"get": {"key"}}, {"range": {"prefix" | "start","end", "limit"}}],
//    "else": [...]}
// Invariants:
//  - The JSON is read only by the contract (ContractJson); this turns the records into the
//    command. A body that is not JSON, or whose part has the wrong type, is a 400 naming the
//    part ("then[0].put.lease" must be a whole number).
//  - Everything a member could refuse is refused here, before proposing, with a message that
//    names the part: unknown fields and forms, keys empty or too long, values too large, more
//    than --max-txn-ops entries in a list, and a key written twice in one branch (a put or
//    delete of a key a delete range of the same branch also covers counts as twice).
//  - The command it builds validates (TxnCommand.Validate) and applies the same on every member.
//    A transaction with a range comparison ("prefix" or "start"/"end") becomes a RangeTxnCommand,
//    a command kind members of an earlier release cannot apply (refused with 409 while one is in
//    the cluster); every other transaction stays a TxnCommand, which every release applies.
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Transactions;
using KvDb.Core.Values;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Transactions;

/// <summary>A parsed transaction: the command to propose, and its parts as the auth check reads them.</summary>
/// <param name="Command">A <see cref="TxnCommand"/>, or a <see cref="RangeTxnCommand"/> when a comparison covers a range.</param>
/// <param name="Comparisons">The comparisons, on one key or a range.</param>
/// <param name="Then">The operations when they hold.</param>
/// <param name="Else">The operations when they do not.</param>
public sealed record ParsedTxn(KvCommand Command, TxnRangeComparison[] Comparisons, TxnOperation[] Then, TxnOperation[] Else);

/// <summary>Parses transaction requests.</summary>
public static class TxnRequest
{
    /// <summary>The most keys a range in a transaction returns.</summary>
    public const int MaxRangeLimit = 1000;

    /// <summary>The keys a range in a transaction returns when it names no limit.</summary>
    public const int DefaultRangeLimit = 100;

    /// <summary>Parses <paramref name="body"/>; the command, or a message for a 400.</summary>
    public static (ParsedTxn? Command, string? Error) Parse(ReadOnlySpan<byte> body, int maxOps, int maxValueBytes, string? idempotencyKey)
    {
        TxnRequestJson request;
        try
        {
            request = ContractJson.Read(body, KvDbJsonContext.Default.TxnRequestJson);
        }
        catch (ContractFormatException e) when (e.NotJson)
        {
            return (null, $"The body is not valid JSON: {e.Message}");
        }
        catch (ContractFormatException e) when (e.Path.Length == 0)
        {
            return (null, "The body must be a JSON object with \"if\", \"then\" and \"else\" lists.");
        }
        catch (ContractFormatException e)
        {
            return (null, $"\"{e.Path}\" {e.Reason}.");
        }

        try
        {
            return (ToCommand(request, maxOps, maxValueBytes, idempotencyKey), null);
        }
        catch (TxnFormatException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The command <paramref name="request"/> asks for.</summary>
    private static ParsedTxn ToCommand(TxnRequestJson request, int maxOps, int maxValueBytes, string? idempotencyKey)
    {
        if (request.Unknown is { Count: > 0 } unknown)
            throw new TxnFormatException($"Unknown field \"{unknown.Keys.First()}\": a transaction has \"if\", \"then\" and \"else\".");
        var comparisons = Entries(request.If, "if", maxOps).Select(ParseComparison).ToArray();
        var then = Entries(request.Then, "then", maxOps).Select(e => ParseOperation(e, maxValueBytes)).ToArray();
        var otherwise = Entries(request.Else, "else", maxOps).Select(e => ParseOperation(e, maxValueBytes)).ToArray();
        CheckWrittenOnce(then, "then");
        CheckWrittenOnce(otherwise, "else");
        KvCommand command = comparisons.Any(static c => c.IsRange)
            ? new RangeTxnCommand { Comparisons = comparisons, Then = then, Else = otherwise, IdempotencyKey = idempotencyKey }
            : new TxnCommand { Comparisons = [.. comparisons.Select(static c => c.ToSingleKey())], Then = then, Else = otherwise, IdempotencyKey = idempotencyKey };
        return new ParsedTxn(command, comparisons, then, otherwise);
    }

    private static List<T?> Entries<T>(List<T?>? list, string name, int maxOps)
        where T : class
        => list is null ? []
            : list.Count > maxOps ? throw new TxnFormatException($"\"{name}\" has {list.Count} entries; a transaction allows at most {maxOps} per list (--max-txn-ops).")
            : list;

    private static TxnRangeComparison ParseComparison(TxnCompareJson? comparison)
    {
        var (key, isRange, end, named) = Compared(comparison);
        var targetName = Text(comparison!.Target, "target", "a comparison");
        var target = targetName switch
        {
            TxnTargetNames.Revision or TxnTargetNames.ModRevision => TxnTarget.Revision,
            TxnTargetNames.CreateRevision => TxnTarget.CreateRevision,
            TxnTargetNames.Version => TxnTarget.Version,
            TxnTargetNames.Value => TxnTarget.Value,
            TxnTargetNames.Exists => TxnTarget.Exists,
            TxnTargetNames.Count when isRange => TxnTarget.Count,
            TxnTargetNames.Count => throw new TxnFormatException($"The count comparison on '{named}' needs a range: \"prefix\", or \"start\" with an optional exclusive \"end\", instead of \"key\"."),
            var other => throw new TxnFormatException($"A comparison's target '{other}' is not revision, createRevision, version, value, exists or count."),
        };
        var op = Text(comparison.Op, "op", "a comparison") switch
        {
            TxnOperatorNames.Equal or TxnOperatorNames.EqualAlias => TxnOperator.Equal,
            TxnOperatorNames.NotEqual => TxnOperator.NotEqual,
            TxnOperatorNames.Less => TxnOperator.Less,
            TxnOperatorNames.Greater => TxnOperator.Greater,
            var other => throw new TxnFormatException($"A comparison's op '{other}' is not ==, !=, < or >."),
        };
        if (comparison.Value is not { } value)
            throw new TxnFormatException($"The comparison on '{named}' has no \"value\".");

        return target switch
        {
            TxnTarget.Value when value.ValueKind is JsonValueKind.String => new() { Key = key, IsRange = isRange, End = end, Target = target, Operator = op, Bytes = Encoding.UTF8.GetBytes(value.GetString()!) },
            TxnTarget.Value => throw new TxnFormatException($"The value comparison on '{named}' needs a string \"value\"."),
            TxnTarget.Exists when value.ValueKind is JsonValueKind.True or JsonValueKind.False && op is TxnOperator.Equal or TxnOperator.NotEqual
                => new() { Key = key, IsRange = isRange, End = end, Target = target, Operator = op, Number = value.GetBoolean() ? 1 : 0 },
            TxnTarget.Exists => throw new TxnFormatException($"The exists comparison on '{named}' needs == or != and true or false."),
            _ when value.ValueKind is JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
                => new() { Key = key, IsRange = isRange, End = end, Target = target, Operator = op, Number = number },
            _ => throw new TxnFormatException($"The {targetName} comparison on '{named}' needs a whole number 0 or more as \"value\"."),
        };
    }

    // What a comparison compares: one key ("key"), or a range ("prefix", or "start" with an
    // optional exclusive "end"); and how to name it in a message. Never "key" with "end": a
    // server of an earlier release would read that as one key and compare something else.
    private static (byte[] Key, bool IsRange, byte[]? End, string Named) Compared(TxnCompareJson? comparison)
    {
        if (comparison?.Unknown is { Count: > 0 } unknown)
            throw new TxnFormatException($"Unknown field \"{unknown.Keys.First()}\" in a comparison: it has \"key\", or \"prefix\", or \"start\" and \"end\", then \"target\", \"op\" and \"value\".");
        if (comparison is null || (comparison.Key is null && comparison.Prefix is null && comparison.Start is null))
            throw new TxnFormatException("A comparison needs a string \"key\" (or, over a range, \"prefix\", or \"start\" with an optional exclusive \"end\").");
        if ((comparison.Key is null ? 0 : 1) + (comparison.Prefix is null ? 0 : 1) + (comparison.Start is null ? 0 : 1) > 1)
            throw new TxnFormatException("A comparison names one of \"key\", \"prefix\" and \"start\".");
        if (comparison.End is not null && comparison.Start is null)
            throw new TxnFormatException("In a comparison, \"end\" goes with \"start\" (a range); compare one key with \"key\" alone.");
        if (comparison.Key is { } text)
        {
            var key = Key(text, "key", "a comparison");
            return (key, false, null, Shorten(key));
        }

        var (start, end) = Range(comparison.Prefix, comparison.Start, comparison.End, "a comparison");
        if (start.Length > KeyPath.MaxKeyBytes || end?.Length > KeyPath.MaxKeyBytes)
            throw new TxnFormatException($"In a comparison, a range's bounds must be at most {KeyPath.MaxKeyBytes} bytes.");
        return (start, true, end, comparison.Prefix is { } prefix ? ValueResults.Shorten(prefix) + "*" : Shorten(start) + ".." + (end is null ? "" : Shorten(end)));
    }

    private static TxnOperation ParseOperation(TxnOpJson? operation, int maxValueBytes)
    {
        if (operation is not { Count: 1 })
            throw new TxnFormatException("Each operation is an object with one of \"put\", \"delete\", \"get\" or \"range\".");
        switch (operation)
        {
            case { Put: { } put }:
            {
                var key = Key(put.Key, "key", "a put");
                var (value, kind) = Value(put, key);
                if (value.Length > maxValueBytes)
                    throw new TxnFormatException($"The value put under '{Shorten(key)}' is {value.Length} bytes; the limit is {maxValueBytes} (--max-value-bytes).");
                if (put.Lease is <= 0)
                    throw new TxnFormatException($"The put of '{Shorten(key)}' names a lease that is not a lease id (a positive whole number).");
                return new() { Kind = TxnOperationKind.Put, Key = key, Value = value, ValueKind = kind, Lease = put.Lease ?? 0 };
            }

            case { Delete: { Key: { } key } }:
                return new() { Kind = TxnOperationKind.Delete, Key = Key(key, "key", "a delete") };
            case { Delete: { } delete }:
            {
                var (start, end) = Range(delete.Prefix, delete.Start, delete.End, "a delete");
                return new() { Kind = TxnOperationKind.DeleteRange, Key = start, End = end };
            }

            case { Get: { } get }:
                return new() { Kind = TxnOperationKind.Get, Key = Key(get.Key, "key", "a get") };
            case { Range: { } range }:
            {
                var (start, end) = Range(range.Prefix, range.Start, range.End, "a range");
                var limit = range.Limit ?? DefaultRangeLimit;
                if (limit is < 1 or > MaxRangeLimit)
                    throw new TxnFormatException($"A range's limit must be from 1 to {MaxRangeLimit}.");
                return new() { Kind = TxnOperationKind.Range, Key = start, End = end, Limit = limit };
            }

            default:
                throw new TxnFormatException($"Unknown operation \"{operation.Unknown!.Keys.First()}\": use put, delete, get or range.");
        }
    }

    private static (byte[] Value, ValueKind Kind) Value(TxnPutJson put, byte[] key)
    {
        if (put.Value is { } text)
            return (Encoding.UTF8.GetBytes(text), ValueKind.Raw);
        if (put.ValueBase64 is { } bytes)
            return (bytes, ValueKind.Raw);

        if (put.Typed is { } typed)
        {
            try
            {
                return (TypedValueCodec.Encode(TypedValueJson.Parse(typed.GetRawText())), ValueKind.Typed);
            }
            catch (TypedValueFormatException e)
            {
                throw new TxnFormatException($"The typed value put under '{Shorten(key)}' is not a typed value: {e.Message}");
            }
        }

        throw new TxnFormatException($"The put of '{Shorten(key)}' needs \"value\" (text), \"valueBase64\" or \"typed\" (e.g. {{\"Int\": 3}}).");
    }

    private static (byte[] Start, byte[]? End) Range(string? prefix, string? start, string? end, string what)
    {
        if (prefix is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(prefix);
            return (bytes, KeyOrder.PrefixEnd(bytes));
        }

        if (start is not null)
        {
            var from = Encoding.UTF8.GetBytes(start);
            var to = end is null ? null : Encoding.UTF8.GetBytes(end);
            if (to is not null && from.AsSpan().SequenceCompareTo(to) > 0)
                throw new TxnFormatException($"In {what}, start must not be after end (end is exclusive).");
            return (from, to);
        }

        throw new TxnFormatException($"{Capitalized(what)} needs \"key\", \"prefix\" or \"start\" (with an optional exclusive \"end\").");
    }

    private static byte[] Key(string? text, string name, string what)
    {
        var bytes = Encoding.UTF8.GetBytes(Text(text, name, what));
        return bytes.Length is > 0 and <= KeyPath.MaxKeyBytes ? bytes : throw new TxnFormatException($"In {what}, \"{name}\" must be 1 to {KeyPath.MaxKeyBytes} bytes.");
    }

    private static string Text(string? text, string name, string what)
        => text ?? throw new TxnFormatException($"{Capitalized(what)} needs a string \"{name}\".");

    private static void CheckWrittenOnce(TxnOperation[] branch, string name)
    {
        var written = new HashSet<byte[]>(Core.State.ByteArrayComparer.Instance);
        var ranges = new List<(byte[] Start, byte[]? End)>();
        foreach (var operation in branch)
        {
            if (operation.Kind is TxnOperationKind.DeleteRange)
                ranges.Add((operation.Key, operation.End));
            else if (operation.Writes && !written.Add(operation.Key))
                throw new TxnFormatException($"'{Shorten(operation.Key)}' is written twice in \"{name}\"; a transaction writes each key at most once.");
        }

        foreach (var (start, end) in ranges)
        {
            if (written.FirstOrDefault(k => k.AsSpan().SequenceCompareTo(start) >= 0 && (end is null || k.AsSpan().SequenceCompareTo(end) < 0)) is { } both)
                throw new TxnFormatException($"'{Shorten(both)}' is written and also deleted by a range in \"{name}\"; a transaction writes each key at most once.");
        }

        for (var i = 0; i < ranges.Count; i++)
        {
            for (var j = i + 1; j < ranges.Count; j++)
            {
                if (Overlap(ranges[i], ranges[j]))
                    throw new TxnFormatException($"Two delete ranges in \"{name}\" overlap; a transaction writes each key at most once.");
            }
        }
    }

    private static bool Overlap((byte[] Start, byte[]? End) a, (byte[] Start, byte[]? End) b)
        => (a.End is null || b.Start.AsSpan().SequenceCompareTo(a.End) < 0) && (b.End is null || a.Start.AsSpan().SequenceCompareTo(b.End) < 0);

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static string Shorten(byte[] key) => ValueResults.Shorten(Encoding.UTF8.GetString(key));

    private sealed class TxnFormatException(string message) : Exception(message);
}
