// Reads the JSON body of POST /v1/txn into a TxnCommand, or says what is wrong with it.
//   {"if":   [{"key": K, "target": "revision|createRevision|version|value|exists", "op": "==|!=|<|>", "value": V}],
//    "then": [{"put": {"key", "value" | "valueBase64" | "typed"}}, {"delete": {"key" | "prefix" | "start","end"}},
//             {"get": {"key"}}, {"range": {"prefix" | "start","end", "limit"}}],
//    "else": [...]}
// Invariants:
//  - Everything a member could refuse is refused here, before proposing, with a message that
//    names the part: unknown fields and forms, keys empty or too long, values too large, more
//    than --max-txn-ops entries in a list, and a key written twice in one branch (a put or
//    delete of a key a delete range of the same branch also covers counts as twice).
//  - The command it builds validates (TxnCommand.Validate) and applies the same on every member.
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Transactions;
using KvDb.Core.Values;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Transactions;

/// <summary>Parses transaction requests.</summary>
public static class TxnRequest
{
    /// <summary>The most keys a range in a transaction returns.</summary>
    public const int MaxRangeLimit = 1000;

    /// <summary>The keys a range in a transaction returns when it names no limit.</summary>
    public const int DefaultRangeLimit = 100;

    /// <summary>Parses <paramref name="body"/>; the command, or a message for a 400.</summary>
    public static (TxnCommand? Command, string? Error) Parse(ReadOnlySpan<byte> body, int maxOps, int maxValueBytes, string? idempotencyKey)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind is not JsonValueKind.Object)
                throw new TxnFormatException("The body must be a JSON object with \"if\", \"then\" and \"else\" lists.");
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("if" or "then" or "else"))
                    throw new TxnFormatException($"Unknown field \"{property.Name}\": a transaction has \"if\", \"then\" and \"else\".");
            }

            var comparisons = List(root, "if", maxOps).Select(ParseComparison).ToArray();
            var then = List(root, "then", maxOps).Select(e => ParseOperation(e, maxValueBytes)).ToArray();
            var otherwise = List(root, "else", maxOps).Select(e => ParseOperation(e, maxValueBytes)).ToArray();
            CheckWrittenOnce(then, "then");
            CheckWrittenOnce(otherwise, "else");
            return (new TxnCommand { Comparisons = comparisons, Then = then, Else = otherwise, IdempotencyKey = idempotencyKey }, null);
        }
        catch (JsonException e)
        {
            return (null, $"The body is not valid JSON: {e.Message}");
        }
        catch (TxnFormatException e)
        {
            return (null, e.Message);
        }
    }

    private static JsonElement[] List(JsonElement root, string name, int maxOps)
    {
        if (!root.TryGetProperty(name, out var list) || list.ValueKind is JsonValueKind.Null)
            return [];
        if (list.ValueKind is not JsonValueKind.Array)
            throw new TxnFormatException($"\"{name}\" must be a list.");
        if (list.GetArrayLength() > maxOps)
            throw new TxnFormatException($"\"{name}\" has {list.GetArrayLength()} entries; a transaction allows at most {maxOps} per list (--max-txn-ops).");
        return list.EnumerateArray().ToArray();
    }

    private static TxnComparison ParseComparison(JsonElement element)
    {
        var key = Key(element, "key", "a comparison");
        var target = Text(element, "target", "a comparison") switch
        {
            "revision" or "modRevision" => TxnTarget.Revision,
            "createRevision" => TxnTarget.CreateRevision,
            "version" => TxnTarget.Version,
            "value" => TxnTarget.Value,
            "exists" => TxnTarget.Exists,
            var other => throw new TxnFormatException($"A comparison's target '{other}' is not revision, createRevision, version, value or exists."),
        };
        var op = Text(element, "op", "a comparison") switch
        {
            "==" or "=" => TxnOperator.Equal,
            "!=" => TxnOperator.NotEqual,
            "<" => TxnOperator.Less,
            ">" => TxnOperator.Greater,
            var other => throw new TxnFormatException($"A comparison's op '{other}' is not ==, !=, < or >."),
        };
        if (!element.TryGetProperty("value", out var value))
            throw new TxnFormatException($"The comparison on '{Shorten(key)}' has no \"value\".");

        return target switch
        {
            TxnTarget.Value when value.ValueKind is JsonValueKind.String => new() { Key = key, Target = target, Operator = op, Bytes = Encoding.UTF8.GetBytes(value.GetString()!) },
            TxnTarget.Value => throw new TxnFormatException($"The value comparison on '{Shorten(key)}' needs a string \"value\"."),
            TxnTarget.Exists when value.ValueKind is JsonValueKind.True or JsonValueKind.False && op is TxnOperator.Equal or TxnOperator.NotEqual
                => new() { Key = key, Target = target, Operator = op, Number = value.GetBoolean() ? 1 : 0 },
            TxnTarget.Exists => throw new TxnFormatException($"The exists comparison on '{Shorten(key)}' needs == or != and true or false."),
            _ when value.ValueKind is JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
                => new() { Key = key, Target = target, Operator = op, Number = number },
            _ => throw new TxnFormatException($"The {Text(element, "target", "a comparison")} comparison on '{Shorten(key)}' needs a whole number 0 or more as \"value\"."),
        };
    }

    private static TxnOperation ParseOperation(JsonElement element, int maxValueBytes)
    {
        if (element.ValueKind is not JsonValueKind.Object || element.EnumerateObject().Count() != 1)
            throw new TxnFormatException("Each operation is an object with one of \"put\", \"delete\", \"get\" or \"range\".");
        var property = element.EnumerateObject().First();
        var body = property.Value;
        if (body.ValueKind is not JsonValueKind.Object)
            throw new TxnFormatException($"\"{property.Name}\" must be an object.");
        switch (property.Name)
        {
            case "put":
            {
                var key = Key(body, "key", "a put");
                var (value, kind) = Value(body, key);
                if (value.Length > maxValueBytes)
                    throw new TxnFormatException($"The value put under '{Shorten(key)}' is {value.Length} bytes; the limit is {maxValueBytes} (--max-value-bytes).");
                long lease = 0;
                if (body.TryGetProperty("lease", out var leaseId) && (leaseId.ValueKind is not JsonValueKind.Number || !leaseId.TryGetInt64(out lease) || lease <= 0))
                    throw new TxnFormatException($"The put of '{Shorten(key)}' names a lease that is not a lease id (a positive whole number).");
                return new() { Kind = TxnOperationKind.Put, Key = key, Value = value, ValueKind = kind, Lease = lease };
            }

            case "delete" when body.TryGetProperty("key", out _):
                return new() { Kind = TxnOperationKind.Delete, Key = Key(body, "key", "a delete") };
            case "delete":
            {
                var (start, end) = Range(body, "a delete");
                return new() { Kind = TxnOperationKind.DeleteRange, Key = start, End = end };
            }

            case "get":
                return new() { Kind = TxnOperationKind.Get, Key = Key(body, "key", "a get") };
            case "range":
            {
                var (start, end) = Range(body, "a range");
                var limit = DefaultRangeLimit;
                if (body.TryGetProperty("limit", out var given) && (given.ValueKind is not JsonValueKind.Number || !given.TryGetInt32(out limit) || limit is < 1 or > MaxRangeLimit))
                    throw new TxnFormatException($"A range's limit must be from 1 to {MaxRangeLimit}.");
                return new() { Kind = TxnOperationKind.Range, Key = start, End = end, Limit = limit };
            }

            default:
                throw new TxnFormatException($"Unknown operation \"{property.Name}\": use put, delete, get or range.");
        }
    }

    private static (byte[] Value, ValueKind Kind) Value(JsonElement put, byte[] key)
    {
        if (put.TryGetProperty("value", out var text) && text.ValueKind is JsonValueKind.String)
            return (Encoding.UTF8.GetBytes(text.GetString()!), ValueKind.Raw);
        if (put.TryGetProperty("valueBase64", out var base64) && base64.ValueKind is JsonValueKind.String)
        {
            try
            {
                return (Convert.FromBase64String(base64.GetString()!), ValueKind.Raw);
            }
            catch (FormatException)
            {
                throw new TxnFormatException($"The valueBase64 put under '{Shorten(key)}' is not base64.");
            }
        }

        if (put.TryGetProperty("typed", out var typed))
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

    private static (byte[] Start, byte[]? End) Range(JsonElement body, string what)
    {
        if (body.TryGetProperty("prefix", out var prefix) && prefix.ValueKind is JsonValueKind.String)
        {
            var bytes = Encoding.UTF8.GetBytes(prefix.GetString()!);
            return (bytes, KeyOrder.PrefixEnd(bytes));
        }

        if (body.TryGetProperty("start", out var start) && start.ValueKind is JsonValueKind.String)
        {
            var from = Encoding.UTF8.GetBytes(start.GetString()!);
            byte[]? to = body.TryGetProperty("end", out var end) && end.ValueKind is JsonValueKind.String ? Encoding.UTF8.GetBytes(end.GetString()!) : null;
            if (to is not null && from.AsSpan().SequenceCompareTo(to) > 0)
                throw new TxnFormatException($"In {what}, start must not be after end (end is exclusive).");
            return (from, to);
        }

        throw new TxnFormatException($"{Capitalized(what)} needs \"key\", \"prefix\" or \"start\" (with an optional exclusive \"end\").");
    }

    private static byte[] Key(JsonElement element, string name, string what)
    {
        var bytes = Encoding.UTF8.GetBytes(Text(element, name, what));
        return bytes.Length is > 0 and <= KeyPath.MaxKeyBytes ? bytes : throw new TxnFormatException($"In {what}, \"{name}\" must be 1 to {KeyPath.MaxKeyBytes} bytes.");
    }

    private static string Text(JsonElement element, string name, string what)
        => element.ValueKind is JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String
            ? value.GetString()!
            : throw new TxnFormatException($"{Capitalized(what)} needs a string \"{name}\".");

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
