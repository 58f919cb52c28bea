// Reads a transaction written as the JSON of POST /v1/txn (KvDb.Contracts' TxnRequestJson) into
// a KvTransaction:
//   {"if":   [{"key" | "prefix" | "start", "end", "target": "revision|createRevision|version|value|exists|count", "op": "==|!=|<|>", "value"}],
//    "then": [{"put": {"key", "value" | "valueBase64", "lease"}}, {"delete": {"key" | "prefix" | "start", "end"}},
//             {"get": {"key"}}, {"range": {"prefix" | "start", "end", "limit"}}],
//    "else": [...]}
// Invariant: the JSON is read only by the contract; anything it cannot turn into the client's
// Compare/Op is a FormatException naming the place ("then[1].put: ..."), so a bad file is a
// usage error before anything is sent. Typed values ("typed") are not taken: put their JSON text
// as "value".
using System.Text.Json;
using KvDb.Client;
using KvDb.Contracts;

namespace KvDb.Cli.Verbs;

/// <summary>Parses transaction JSON for <c>kvdb txn</c>.</summary>
internal static class TxnJson
{
    /// <summary>Adds what <paramref name="text"/> says to <paramref name="transaction"/>.</summary>
    /// <exception cref="FormatException">The text is not such a transaction; the message names the place.</exception>
    public static KvTransaction Read(KvTransaction transaction, string text)
    {
        TxnRequestJson request;
        try
        {
            request = ContractJson.Read(text, KvDbJsonContext.Default.TxnRequestJson);
        }
        catch (ContractFormatException e) when (e.NotJson)
        {
            throw new FormatException($"the transaction is not valid JSON: {e.Message}");
        }
        catch (ContractFormatException e) when (e.Path.Length == 0)
        {
            throw new FormatException("a transaction is a JSON object with \"if\", \"then\" and \"else\" lists");
        }
        catch (ContractFormatException e)
        {
            throw new FormatException($"{e.Path}: {e.Reason}");
        }

        if (request.Unknown is { Count: > 0 } unknown)
            throw new FormatException($"unknown field \"{unknown.Keys.First()}\": a transaction has \"if\", \"then\" and \"else\"");
        foreach (var (comparison, i) in (request.If ?? []).Select(static (c, i) => (c, i)))
            transaction.If(Comparison(comparison, $"if[{i}]"));
        foreach (var (operation, i) in (request.Then ?? []).Select(static (o, i) => (o, i)))
            transaction.Then(Operation(operation, $"then[{i}]"));
        foreach (var (operation, i) in (request.Else ?? []).Select(static (o, i) => (o, i)))
            transaction.Else(Operation(operation, $"else[{i}]"));
        return transaction;
    }

    private static TxnComparison Comparison(TxnCompareJson? comparison, string place)
    {
        if (comparison?.Unknown is { Count: > 0 } unknown)
            throw new FormatException($"{place}: unknown field \"{unknown.Keys.First()}\" (a comparison has \"key\", or \"prefix\", or \"start\" and \"end\", then \"target\", \"op\" and \"value\")");
        if (comparison is { Key: null } && (comparison.Prefix is not null || comparison.Start is not null))
            return RangeComparison(comparison, place);
        var key = Text(comparison?.Key, "key", place);
        if (comparison!.Prefix is not null || comparison.Start is not null || comparison.End is not null)
            throw new FormatException($"{place}: a comparison names one key (\"key\") or a range (\"prefix\", or \"start\" and \"end\"), not both");
        var op = ParseOperator(Text(comparison.Op, "op", place), place);
        if (comparison.Value is not { } value)
            throw new FormatException($"{place}: a comparison needs \"value\"");
        try
        {
            return Text(comparison.Target, "target", place) switch
            {
                TxnTargetNames.Revision or TxnTargetNames.ModRevision => Compare.Revision(key).Is(op, Number(value, place)),
                TxnTargetNames.CreateRevision => Compare.CreateRevision(key).Is(op, Number(value, place)),
                TxnTargetNames.Version => Compare.Version(key).Is(op, Number(value, place)),
                TxnTargetNames.Value when value.ValueKind is JsonValueKind.String => Compare.Value(key).Is(op, value.GetString()!),
                TxnTargetNames.Value => throw new FormatException($"{place}: a value comparison needs a string \"value\""),
                TxnTargetNames.Exists when value.ValueKind is JsonValueKind.True or JsonValueKind.False && op is TxnOperator.Equal or TxnOperator.NotEqual
                    => value.GetBoolean() == (op is TxnOperator.Equal) ? Compare.Exists(key) : Compare.Absent(key),
                TxnTargetNames.Exists => throw new FormatException($"{place}: an exists comparison needs == or != and true or false"),
                TxnTargetNames.Count => throw new FormatException($"{place}: a count comparison needs a range (\"prefix\", or \"start\" and \"end\") instead of \"key\""),
                var other => throw new FormatException($"{place}: target '{other}' is not revision, createRevision, version, value or exists"),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{place}: {e.Message}");
        }
    }

    // A comparison over every key of a range: the numeric targets and count.
    private static TxnComparison RangeComparison(TxnCompareJson comparison, string place)
    {
        if (comparison.Prefix is not null && (comparison.Start is not null || comparison.End is not null))
            throw new FormatException($"{place}: a range comparison has \"prefix\", or \"start\" and \"end\", not both");
        var op = ParseOperator(Text(comparison.Op, "op", place), place);
        if (comparison.Value is not { } value)
            throw new FormatException($"{place}: a comparison needs \"value\"");
        try
        {
            var range = comparison.Prefix is { } prefix ? Compare.Prefix(prefix) : Compare.Range(comparison.Start!, comparison.End);
            return Text(comparison.Target, "target", place) switch
            {
                TxnTargetNames.Revision or TxnTargetNames.ModRevision => range.Revision.Is(op, Number(value, place)),
                TxnTargetNames.CreateRevision => range.CreateRevision.Is(op, Number(value, place)),
                TxnTargetNames.Version => range.Version.Is(op, Number(value, place)),
                TxnTargetNames.Count => range.Count.Is(op, Number(value, place)),
                var other => throw new FormatException($"{place}: over a range, target '{other}' is not revision, createRevision, version or count"),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{place}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static TxnOperator ParseOperator(string text, string place) => text switch
    {
        TxnOperatorNames.Equal or TxnOperatorNames.EqualAlias => TxnOperator.Equal,
        TxnOperatorNames.NotEqual => TxnOperator.NotEqual,
        TxnOperatorNames.Less => TxnOperator.Less,
        TxnOperatorNames.Greater => TxnOperator.Greater,
        var other => throw new FormatException($"{place}: op '{other}' is not ==, !=, < or >"),
    };

    private static TxnOp Operation(TxnOpJson? operation, string place)
    {
        if (operation is not { Count: 1 })
            throw new FormatException($"{place}: an operation is an object with one of \"put\", \"delete\", \"get\" or \"range\"");
        place += operation switch
        {
            { Put: not null } => ".put",
            { Delete: not null } => ".delete",
            { Get: not null } => ".get",
            { Range: not null } => ".range",
            _ => "." + operation.Unknown!.Keys.First(),
        };
        try
        {
            switch (operation)
            {
                case { Put: { } put }:
                {
                    var key = Text(put.Key, "key", place);
                    if (put.Lease is <= 0)
                        throw new FormatException($"{place}: lease must be a lease id (a positive whole number)");
                    if (put.Value is { } text)
                        return Op.Put(key, text, put.Lease);
                    if (put.ValueBase64 is { } bytes)
                        return Op.Put(key, bytes, put.Lease);
                    throw new FormatException($"{place}: a put needs \"value\" (text) or \"valueBase64\" (typed values: put their JSON text as \"value\")");
                }

                case { Delete: { Key: { } key } }:
                    return Op.Delete(key);
                case { Delete: { Prefix: { } prefix } }:
                    return Op.DeletePrefix(prefix);
                case { Delete: { } delete }:
                    return Op.DeleteRange(Text(delete.Start, "start", place), delete.End);
                case { Get: { } get }:
                    return Op.Get(Text(get.Key, "key", place));
                case { Range: { } range }:
                    return range.Prefix is { } rangePrefix
                        ? Op.RangePrefix(rangePrefix, range.Limit ?? 100)
                        : Op.Range(Text(range.Start, "start", place), range.End, range.Limit ?? 100);
                default:
                    throw new FormatException($"{place}: unknown operation; use put, delete, get or range");
            }
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{place}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static long Number(JsonElement value, string place)
        => value.ValueKind is JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
            ? number
            : throw new FormatException($"{place}: \"value\" must be a whole number 0 or more");

    private static string Text(string? text, string name, string place)
        => text ?? throw new FormatException($"{place}: needs a string \"{name}\"");
}
