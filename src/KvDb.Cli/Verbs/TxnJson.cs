// Reads a transaction written as the JSON of POST /v1/txn into a KvTransaction:
//   {"if":   [{"key", "target": "revision|createRevision|version|value|exists", "op": "==|!=|<|>", "value"}],
//    "then": [{"put": {"key", "value" | "valueBase64", "lease"}}, {"delete": {"key" | "prefix" | "start", "end"}},
//             {"get": {"key"}}, {"range": {"prefix" | "start", "end", "limit"}}],
//    "else": [...]}
// Invariant: anything it cannot turn into the client's Compare/Op is a FormatException naming the
// place ("then[1].put: ..."), so a bad file is a usage error before anything is sent. Typed
// values ("typed") are not taken: put their JSON text as "value".
using System.Text.Json;
using KvDb.Client;

namespace KvDb.Cli.Verbs;

/// <summary>Parses transaction JSON for <c>kvdb txn</c>.</summary>
internal static class TxnJson
{
    /// <summary>Adds what <paramref name="text"/> says to <paramref name="transaction"/>.</summary>
    /// <exception cref="FormatException">The text is not such a transaction; the message names the place.</exception>
    public static KvTransaction Read(KvTransaction transaction, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the transaction is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind is not JsonValueKind.Object)
                throw new FormatException("a transaction is a JSON object with \"if\", \"then\" and \"else\" lists");
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "if":
                        foreach (var (element, place) in List(property))
                            transaction.If(Comparison(element, place));
                        break;
                    case "then":
                        foreach (var (element, place) in List(property))
                            transaction.Then(Operation(element, place));
                        break;
                    case "else":
                        foreach (var (element, place) in List(property))
                            transaction.Else(Operation(element, place));
                        break;
                    default:
                        throw new FormatException($"unknown field \"{property.Name}\": a transaction has \"if\", \"then\" and \"else\"");
                }
            }
        }

        return transaction;
    }

    private static List<(JsonElement Element, string Place)> List(JsonProperty property)
    {
        if (property.Value.ValueKind is JsonValueKind.Null)
            return [];
        if (property.Value.ValueKind is not JsonValueKind.Array)
            throw new FormatException($"\"{property.Name}\" must be a list");
        return property.Value.EnumerateArray().Select((element, i) => (element, $"{property.Name}[{i}]")).ToList();
    }

    private static TxnComparison Comparison(JsonElement element, string place)
    {
        var key = Text(element, "key", place);
        var op = Text(element, "op", place) switch
        {
            "==" or "=" => TxnOperator.Equal,
            "!=" => TxnOperator.NotEqual,
            "<" => TxnOperator.Less,
            ">" => TxnOperator.Greater,
            var other => throw new FormatException($"{place}: op '{other}' is not ==, !=, < or >"),
        };
        if (!element.TryGetProperty("value", out var value))
            throw new FormatException($"{place}: a comparison needs \"value\"");
        try
        {
            return Text(element, "target", place) switch
            {
                "revision" or "modRevision" => Compare.Revision(key).Is(op, Number(value, place)),
                "createRevision" => Compare.CreateRevision(key).Is(op, Number(value, place)),
                "version" => Compare.Version(key).Is(op, Number(value, place)),
                "value" when value.ValueKind is JsonValueKind.String => Compare.Value(key).Is(op, value.GetString()!),
                "value" => throw new FormatException($"{place}: a value comparison needs a string \"value\""),
                "exists" when value.ValueKind is JsonValueKind.True or JsonValueKind.False && op is TxnOperator.Equal or TxnOperator.NotEqual
                    => value.GetBoolean() == (op is TxnOperator.Equal) ? Compare.Exists(key) : Compare.Absent(key),
                "exists" => throw new FormatException($"{place}: an exists comparison needs == or != and true or false"),
                var other => throw new FormatException($"{place}: target '{other}' is not revision, createRevision, version, value or exists"),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{place}: {e.Message}");
        }
    }

    private static TxnOp Operation(JsonElement element, string place)
    {
        if (element.ValueKind is not JsonValueKind.Object || element.EnumerateObject().Count() != 1)
            throw new FormatException($"{place}: an operation is an object with one of \"put\", \"delete\", \"get\" or \"range\"");
        var property = element.EnumerateObject().First();
        var body = property.Value;
        place += "." + property.Name;
        if (body.ValueKind is not JsonValueKind.Object)
            throw new FormatException($"{place} must be an object");
        try
        {
            switch (property.Name)
            {
                case "put":
                {
                    var key = Text(body, "key", place);
                    long? lease = body.TryGetProperty("lease", out var id) ? (id.TryGetInt64(out var leaseId) && leaseId > 0 ? leaseId : throw new FormatException($"{place}: lease must be a lease id (a positive whole number)")) : null;
                    if (body.TryGetProperty("value", out var text) && text.ValueKind is JsonValueKind.String)
                        return Op.Put(key, text.GetString()!, lease);
                    if (body.TryGetProperty("valueBase64", out var encoded) && encoded.ValueKind is JsonValueKind.String)
                        return Op.Put(key, Convert.FromBase64String(encoded.GetString()!), lease);
                    throw new FormatException($"{place}: a put needs \"value\" (text) or \"valueBase64\" (typed values: put their JSON text as \"value\")");
                }

                case "delete" when body.TryGetProperty("key", out _):
                    return Op.Delete(Text(body, "key", place));
                case "delete" when body.TryGetProperty("prefix", out _):
                    return Op.DeletePrefix(Text(body, "prefix", place));
                case "delete":
                    return Op.DeleteRange(Text(body, "start", place), OptionalText(body, "end"));
                case "get":
                    return Op.Get(Text(body, "key", place));
                case "range":
                {
                    var limit = body.TryGetProperty("limit", out var most) ? (most.TryGetInt32(out var n) ? n : throw new FormatException($"{place}: limit must be a whole number")) : 100;
                    return body.TryGetProperty("prefix", out _)
                        ? Op.RangePrefix(Text(body, "prefix", place), limit)
                        : Op.Range(Text(body, "start", place), OptionalText(body, "end"), limit);
                }

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

    private static string Text(JsonElement element, string name, string place)
        => element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"{place}: needs a string \"{name}\"");

    private static string? OptionalText(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String ? value.GetString() : null;
}
