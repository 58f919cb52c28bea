// Externally tagged JSON for typed values ({"Str":"x"}, {"Set":[...]}), as serde writes the
// S2 reference's Value enum, and the request envelope {"key": "...", "value": V}.
// Invariants:
//  - Parsing is a single forward pass over Utf8JsonReader; recursion is bounded by
//    TypedValue.MaxDepth, checked before descending, so hostile nesting fails cleanly.
//  - Every rejection is a TypedValueFormatException naming the JSON path and the problem;
//    no JsonException or InvalidOperationException escapes.
//  - Parsing is strict: exactly one tag per value object, tags are case-sensitive, no
//    comments, no trailing commas, no trailing data, no duplicate Map keys, no unknown
//    envelope fields. Float accepts any JSON number ({"Float": 1} is 1.0: the tag decides).
//  - Writing is compact and deterministic: Set and Map in canonical order, Floats always
//    with '.' or 'e' (serde_json layout), strings escaped only where JSON requires.
// Hand-written on purpose (not KvDb.Contracts): its bytes must match serde_json's for the S2 reference.
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace KvDb.Core.Values;

/// <summary>
/// Reads and writes typed values as serde's externally tagged JSON, e.g.
/// <c>{"Set":[{"Str":"is really cool"},{"UInt":1337}]}</c>, and the request envelope
/// <c>{"key":"s2","value":{"UInt":2}}</c>.
/// </summary>
/// <remarks>
/// <para><b>Depth:</b> values nest at most <see cref="TypedValue.MaxDepth"/> (32) levels; deeper input fails
/// with a <see cref="TypedValueFormatException"/> before any further descent.</para>
/// <para><b>Numbers:</b> <c>Int</c> takes a whole JSON number in the i64 range and <c>UInt</c> one in the u64
/// range (no fraction or exponent, as serde_json); <c>Float</c> takes any JSON number whose value is finite
/// as a double. NaN and Infinity have no JSON form and are rejected. -0 parses as 0.0.</para>
/// <para><b>Envelope:</b> fields may come in either order; a missing, duplicated or unknown field is an
/// error that names it (kvdb rejects unknown fields so that a typo or an unsupported option is not
/// silently ignored).</para>
/// <para><b>Map keys:</b> a key repeated inside one <c>Map</c> is rejected rather than silently
/// overwritten.</para>
/// </remarks>
public static class TypedValueJson
{
    private const string ValidTags = "valid tags are Bool, Float, Int, List, Map, Set, Str, UInt";
    private const string IntRange = "a whole number from -9223372036854775808 to 9223372036854775807";
    private const string UIntRange = "a whole number from 0 to 18446744073709551615";

    // Each value level uses two JSON levels (the tag object and its List/Set/Map payload), plus
    // the envelope object. Our own depth check fires first; this only backs it up.
    private const int ReaderMaxDepth = (2 * TypedValue.MaxDepth) + 4;

    private const int MaxRetainedBufferBytes = 1 << 20;

    [ThreadStatic]
    private static CachedWriter? t_cachedWriter;

    /// <summary>
    /// The writer options that produce kvdb's canonical compact JSON (minimal escaping like
    /// serde_json). Use them when creating a <see cref="Utf8JsonWriter"/> for <see cref="Write"/>.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = MinimalJsonEncoder.Instance,
        Indented = false,
        MaxDepth = ReaderMaxDepth + 64,
    };

    /// <summary>Parses one externally tagged value, e.g. <c>{"Int":-3}</c>, from UTF-8 JSON.</summary>
    /// <exception cref="TypedValueFormatException">The input is not exactly one valid value.</exception>
    public static TypedValue Parse(ReadOnlySpan<byte> utf8Json)
    {
        var parser = new Parser(utf8Json);
        parser.ReadToken();
        var value = parser.ParseValue(1);
        parser.ExpectEndOfInput();
        return value;
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte})"/>
    /// <remarks>An unpaired surrogate in <paramref name="json"/> is an error, never replaced by U+FFFD.</remarks>
    public static TypedValue Parse(string json) => Parse(StrictUtf8(json));

    /// <summary>Parses the request envelope <c>{"key": "...", "value": V}</c> from UTF-8 JSON.</summary>
    /// <exception cref="TypedValueFormatException">The input is not a valid envelope.</exception>
    public static KeyValueEnvelope ParseEnvelope(ReadOnlySpan<byte> utf8Json)
    {
        var parser = new Parser(utf8Json);
        var envelope = parser.ParseEnvelope();
        parser.ExpectEndOfInput();
        return envelope;
    }

    /// <inheritdoc cref="ParseEnvelope(ReadOnlySpan{byte})"/>
    /// <remarks>An unpaired surrogate in <paramref name="json"/> is an error, never replaced by U+FFFD.</remarks>
    public static KeyValueEnvelope ParseEnvelope(string json) => ParseEnvelope(StrictUtf8(json));

    /// <summary>Writes <paramref name="value"/> as one JSON value (an object with a single tag).</summary>
    public static void Write(Utf8JsonWriter writer, TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        WriteValue(writer, value);
    }

    /// <summary>Writes the envelope <c>{"key":...,"value":...}</c>.</summary>
    public static void WriteEnvelope(Utf8JsonWriter writer, KeyValueEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(envelope);
        writer.WriteStartObject();
        writer.WriteString("key"u8, envelope.Key);
        writer.WritePropertyName("value"u8);
        WriteValue(writer, envelope.Value);
        writer.WriteEndObject();
    }

    /// <summary>The compact JSON of <paramref name="value"/> as UTF-8 bytes.</summary>
    public static byte[] ToJsonBytes(TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WithCachedWriter(value, static (writer, v) => WriteValue(writer, v), static span => span.ToArray());
    }

    /// <summary>The compact JSON of <paramref name="value"/> as a string.</summary>
    public static string ToJsonString(TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WithCachedWriter(value, static (writer, v) => WriteValue(writer, v), static span => Encoding.UTF8.GetString(span));
    }

    /// <summary>The compact JSON of <paramref name="envelope"/> as UTF-8 bytes.</summary>
    public static byte[] ToJsonBytes(KeyValueEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return WithCachedWriter(envelope, static (writer, e) => WriteEnvelope(writer, e), static span => span.ToArray());
    }

    private static byte[] StrictUtf8(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!TypedValue.IsWellFormedUtf16(json))
            throw new TypedValueFormatException("$", "the JSON text contains an unpaired UTF-16 surrogate, so it is not valid Unicode");
        return Encoding.UTF8.GetBytes(json);
    }

    private static void WriteValue(Utf8JsonWriter writer, TypedValue value)
    {
        writer.WriteStartObject();
        switch (value)
        {
            case BoolValue b:
                writer.WriteBoolean("Bool"u8, b.Value);
                break;
            case FloatValue f:
                writer.WritePropertyName("Float"u8);
                WriteFloat(writer, f.Value);
                break;
            case IntValue i:
                writer.WriteNumber("Int"u8, i.Value);
                break;
            case UIntValue u:
                writer.WriteNumber("UInt"u8, u.Value);
                break;
            case StrValue s:
                writer.WriteString("Str"u8, s.Value);
                break;
            case ListValue list:
                WriteArray(writer, "List"u8, list.Items.AsSpan());
                break;
            case SetValue set:
                WriteArray(writer, "Set"u8, set.Items.AsSpan());
                break;
            case MapValue map:
                WriteMap(writer, map);
                break;
            default:
                throw new InvalidOperationException($"Unknown value kind {value.Kind}.");
        }

        writer.WriteEndObject();
    }

    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        Span<byte> text = stackalloc byte[JsonFloat.MaxLength];
        var length = JsonFloat.Format(value, text);
        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    private static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<byte> tag, ReadOnlySpan<TypedValue> items)
    {
        writer.WriteStartArray(tag);
        foreach (var item in items)
            WriteValue(writer, item);
        writer.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter writer, MapValue map)
    {
        writer.WriteStartObject("Map"u8);
        foreach (var entry in map.Entries)
        {
            writer.WritePropertyName(entry.Key);
            WriteValue(writer, entry.Value);
        }

        writer.WriteEndObject();
    }

    private static TResult WithCachedWriter<TState, TResult>(
        TState state, Action<Utf8JsonWriter, TState> write, Func<ReadOnlySpan<byte>, TResult> result)
    {
        var cached = t_cachedWriter ?? new CachedWriter();
        t_cachedWriter = null; // not reentrant-safe otherwise; a nested call simply makes its own
        try
        {
            cached.Buffer.ResetWrittenCount();
            cached.Writer.Reset(cached.Buffer);
            write(cached.Writer, state);
            cached.Writer.Flush();
            return result(cached.Buffer.WrittenSpan);
        }
        finally
        {
            if (cached.Buffer.Capacity <= MaxRetainedBufferBytes)
                t_cachedWriter = cached;
        }
    }

    [SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The writer only writes to the buffer beside it, both managed memory: a CachedWriter is reused by its thread (the writer Reset each time) and left to the GC when its buffer grew too big, which frees all that Dispose would.")]
    private sealed class CachedWriter
    {
        public readonly ArrayBufferWriter<byte> Buffer = new(256);
        public readonly Utf8JsonWriter Writer;

        public CachedWriter()
        {
            Writer = new Utf8JsonWriter(Buffer, WriterOptions);
        }
    }

    /// <summary>The recursive-descent reader; one instance per document.</summary>
    private ref struct Parser
    {
        private readonly ValuePath _path;
        private Utf8JsonReader _reader;

        public Parser(ReadOnlySpan<byte> utf8Json)
        {
            _path = new ValuePath();
            _reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
            {
                MaxDepth = ReaderMaxDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
        }

        /// <summary>Advances to the next token, turning syntax errors and the end of input into format errors.</summary>
        public void ReadToken()
        {
            bool more;
            try
            {
                more = _reader.Read();
            }
            catch (JsonException e)
            {
                throw _path.Error($"malformed JSON: {e.Message}", e);
            }

            if (!more)
                throw _path.Error("unexpected end of the JSON input");
        }

        /// <summary>Fails unless nothing but whitespace follows the document.</summary>
        public void ExpectEndOfInput()
        {
            bool more;
            try
            {
                more = _reader.Read();
            }
            catch (JsonException e)
            {
                throw _path.Error($"unexpected data after the JSON value: {e.Message}", e);
            }

            if (more)
                throw _path.Error("unexpected data after the JSON value");
        }

        /// <summary>Parses the envelope; the reader is before its first token.</summary>
        public KeyValueEnvelope ParseEnvelope()
        {
            ReadToken();
            if (_reader.TokenType != JsonTokenType.StartObject)
                throw _path.Error($"expected a request object like {{\"key\": \"k\", \"value\": {{\"Str\": \"v\"}}}}, found {Describe()}");

            string? key = null;
            TypedValue? value = null;
            for (ReadToken(); _reader.TokenType != JsonTokenType.EndObject; ReadToken())
            {
                var field = GetText("field name");
                _path.PushKey(field);
                ReadToken();
                if (field == "key")
                    key = key is null ? ParseKey() : throw DuplicateField(field);
                else if (field == "value")
                    value = value is null ? ParseValue(1) : throw DuplicateField(field);
                else
                    throw _path.Error($"unknown field {ValuePath.Quote(field)}; a request has only the fields 'key' and 'value'");
                _path.Pop();
            }

            if (key is null)
                throw _path.Error("the request has no 'key' field");
            if (value is null)
                throw _path.Error("the request has no 'value' field");
            return new KeyValueEnvelope(key, value);
        }

        /// <summary>Parses one value object; the reader is on its first token.</summary>
        public TypedValue ParseValue(int depth)
        {
            if (_reader.TokenType != JsonTokenType.StartObject)
                throw _path.Error($"expected a typed value object like {{\"Str\": \"text\"}}, found {Describe()}");
            if (depth > TypedValue.MaxDepth)
                throw _path.Error($"values are nested more than {TypedValue.MaxDepth} levels deep");

            ReadToken();
            if (_reader.TokenType == JsonTokenType.EndObject)
                throw _path.Error($"a typed value needs exactly one type tag and this object has none; {ValidTags}");

            var kind = ReadTag();
            _path.PushName(TagName(kind));
            ReadToken();
            var value = ParseContent(kind, depth);
            _path.Pop();

            ReadToken();
            if (_reader.TokenType != JsonTokenType.EndObject)
                throw _path.Error($"a typed value needs exactly one type tag, but after '{TagName(kind)}' there is another: {ValuePath.Quote(GetText("type tag"))}");
            return value;
        }

        private TypedValue ParseContent(TypedValueKind kind, int depth) => kind switch
        {
            TypedValueKind.Bool => ParseBool(),
            TypedValueKind.Float => ParseFloat(),
            TypedValueKind.Int => ParseInt(),
            TypedValueKind.UInt => ParseUInt(),
            TypedValueKind.Str => new StrValue(ExpectString("Str"), trusted: true),
            TypedValueKind.List => ListValue.Create(ParseElements("List", depth)),
            TypedValueKind.Set => SetValue.Create(ParseElements("Set", depth)),
            _ => ParseMap(depth),
        };

        private string ParseKey()
        {
            if (_reader.TokenType != JsonTokenType.String)
                throw _path.Error($"'key' must be a JSON string, found {Describe()}");
            return GetText("key");
        }

        private TypedValueFormatException DuplicateField(string field) =>
            _path.Error($"the field '{field}' appears more than once");

        private BoolValue ParseBool() => _reader.TokenType switch
        {
            JsonTokenType.True => TypedValue.Bool(true),
            JsonTokenType.False => TypedValue.Bool(false),
            _ => throw WrongToken("Bool", "true or false"),
        };

        private FloatValue ParseFloat()
        {
            if (_reader.TokenType == JsonTokenType.String)
                throw _path.Error($"'Float' expects a JSON number, found a string; NaN and Infinity cannot be represented in JSON and are not accepted");
            if (_reader.TokenType != JsonTokenType.Number)
                throw WrongToken("Float", "a JSON number");
            if (!_reader.TryGetDouble(out var number) || !double.IsFinite(number))
                throw _path.Error($"'Float' expects a number within ±1.7976931348623157e308, found {RawNumber()}");
            return TypedValue.Float(number);
        }

        private IntValue ParseInt()
        {
            if (_reader.TokenType != JsonTokenType.Number)
                throw WrongToken("Int", IntRange);
            if (!_reader.TryGetInt64(out var number))
                throw _path.Error($"'Int' expects {IntRange}, found {RawNumber()}");
            return TypedValue.Int(number);
        }

        private UIntValue ParseUInt()
        {
            if (_reader.TokenType != JsonTokenType.Number)
                throw WrongToken("UInt", UIntRange);
            if (!_reader.TryGetUInt64(out var number))
                throw _path.Error($"'UInt' expects {UIntRange}, found {RawNumber()}");
            return TypedValue.UInt(number);
        }

        private string ExpectString(string tag)
        {
            if (_reader.TokenType != JsonTokenType.String)
                throw WrongToken(tag, "a JSON string");
            return GetText("string");
        }

        private TypedValue[] ParseElements(string tag, int depth)
        {
            if (_reader.TokenType != JsonTokenType.StartArray)
                throw WrongToken(tag, "a JSON array of typed values");

            var items = new List<TypedValue>();
            _path.PushIndex(0);
            for (ReadToken(); _reader.TokenType != JsonTokenType.EndArray; ReadToken())
            {
                _path.SetIndex(items.Count);
                items.Add(ParseValue(depth + 1));
            }

            _path.Pop();
            return items.ToArray();
        }

        private MapValue ParseMap(int depth)
        {
            if (_reader.TokenType != JsonTokenType.StartObject)
                throw WrongToken("Map", "a JSON object of string keys to typed values");

            var entries = new List<KeyValuePair<string, TypedValue>>();
            for (ReadToken(); _reader.TokenType != JsonTokenType.EndObject; ReadToken())
            {
                var key = GetText("map key");
                _path.PushKey(key);
                ReadToken();
                entries.Add(new(key, ParseValue(depth + 1)));
                _path.Pop();
            }

            return MapValue.TryCreateValidated(entries.ToArray(), out var duplicate)
                ?? throw _path.Error($"duplicate map key {ValuePath.Quote(duplicate!)}");
        }

        private TypedValueKind ReadTag()
        {
            if (!_reader.ValueIsEscaped)
            {
                var span = _reader.ValueSpan;
                for (var kind = TypedValueKind.Bool; kind <= TypedValueKind.UInt; kind++)
                {
                    if (span.SequenceEqual(TagUtf8(kind)))
                        return kind;
                }
            }
            else
            {
                var text = GetText("type tag");
                for (var kind = TypedValueKind.Bool; kind <= TypedValueKind.UInt; kind++)
                {
                    if (text == TagName(kind))
                        return kind;
                }
            }

            throw _path.Error($"unknown type tag {ValuePath.Quote(GetText("type tag"))}; {ValidTags}");
        }

        /// <summary>The current string or property name, rejecting invalid UTF-8 and unpaired surrogate escapes.</summary>
        private string GetText(string what)
        {
            try
            {
                return _reader.GetString()!;
            }
            catch (InvalidOperationException e)
            {
                throw _path.Error($"the {what} is not valid Unicode text (invalid UTF-8 or an unpaired surrogate escape)", e);
            }
        }

        private TypedValueFormatException WrongToken(string tag, string expected) =>
            _path.Error($"'{tag}' expects {expected}, found {Describe()}");

        private string RawNumber()
        {
            var text = Encoding.UTF8.GetString(_reader.ValueSpan);
            return text.Length <= ValuePath.MaxQuoted ? text : ValuePath.Quote(text);
        }

        private string Describe() => _reader.TokenType switch
        {
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => $"the number {RawNumber()}",
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => "null",
            JsonTokenType.EndArray => "the end of an array",
            JsonTokenType.EndObject => "the end of an object",
            var other => other.ToString(),
        };
    }

    internal static string TagName(TypedValueKind kind) => kind switch
    {
        TypedValueKind.Bool => "Bool",
        TypedValueKind.Float => "Float",
        TypedValueKind.Int => "Int",
        TypedValueKind.List => "List",
        TypedValueKind.Map => "Map",
        TypedValueKind.Set => "Set",
        TypedValueKind.Str => "Str",
        _ => "UInt",
    };

    private static ReadOnlySpan<byte> TagUtf8(TypedValueKind kind) => kind switch
    {
        TypedValueKind.Bool => "Bool"u8,
        TypedValueKind.Float => "Float"u8,
        TypedValueKind.Int => "Int"u8,
        TypedValueKind.List => "List"u8,
        TypedValueKind.Map => "Map"u8,
        TypedValueKind.Set => "Set"u8,
        TypedValueKind.Str => "Str"u8,
        _ => "UInt"u8,
    };
}
