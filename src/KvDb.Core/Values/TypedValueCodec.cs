// Compact, deterministic binary form of a typed value, for the Raft log, snapshots and storage.
// Format: every value is a MessagePack array of two elements [tag, payload]:
//   tag     = the TypedValueKind number (0 Bool .. 7 UInt), a positive fixint
//   payload = Bool: bool | Float: float64 (always 9 bytes) | Int: int (smallest encoding) |
//             UInt: uint (smallest encoding) | Str: str (UTF-8) | List, Set: array of values |
//             Map: map of str key -> value
// Invariants:
//  - Deterministic: canonical values (sorted Sets and Maps, no -0.0) and smallest-integer
//    encodings mean equal values always encode to identical bytes.
//  - The first byte of an encoding is always 0x92 (fixarray of 2). That byte is never the first
//    byte of valid UTF-8 text, so it can tell a typed encoding from raw UTF-8 bytes.
//  - Decoding trusts nothing: it checks types, lengths, tag range, UTF-8 validity, finite
//    floats, canonical Set/Map order, the depth limit and trailing bytes, and reports every
//    problem (including truncation) as a TypedValueFormatException naming the location.
//  - Tags are part of the on-disk format: never renumber one.
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace KvDb.Core.Values;

/// <summary>
/// Encodes typed values as compact deterministic MessagePack (<c>[tag, payload]</c> per value) and
/// decodes them defensively. See the file header for the exact format.
/// </summary>
public static class TypedValueCodec
{
    private const int MaxRetainedBufferBytes = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Encodes <paramref name="value"/> into a new byte array.</summary>
    public static byte[] Encode(TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(256);
        t_buffer = null;
        try
        {
            buffer.ResetWrittenCount();
            Encode(buffer, value);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity <= MaxRetainedBufferBytes)
                t_buffer = buffer;
        }
    }

    /// <summary>Appends the encoding of <paramref name="value"/> to <paramref name="output"/>.</summary>
    public static void Encode(IBufferWriter<byte> output, TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(value);
        var writer = new MessagePackWriter(output);
        WriteValue(ref writer, value);
        writer.Flush();
    }

    /// <summary>
    /// Writes <paramref name="value"/> with an existing writer, for embedding in a larger
    /// MessagePack structure. The caller flushes the writer.
    /// </summary>
    public static void Write(ref MessagePackWriter writer, TypedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteValue(ref writer, value);
    }

    /// <summary>Decodes exactly one value that fills <paramref name="data"/>.</summary>
    /// <exception cref="TypedValueFormatException">The data is empty, truncated, malformed, not
    /// canonical, too deep, or followed by extra bytes.</exception>
    public static TypedValue Decode(ReadOnlyMemory<byte> data) => Decode(new ReadOnlySequence<byte>(data));

    /// <inheritdoc cref="Decode(ReadOnlyMemory{byte})"/>
    public static TypedValue Decode(ReadOnlySequence<byte> data)
    {
        var reader = new MessagePackReader(data);
        var value = Read(ref reader);
        if (!reader.End)
            throw new TypedValueFormatException("$", $"{reader.Sequence.Length - reader.Consumed} unexpected bytes after the value");
        return value;
    }

    /// <summary>
    /// Reads one value from <paramref name="reader"/>, leaving it just after the value; for values
    /// embedded in a larger MessagePack structure.
    /// </summary>
    /// <exception cref="TypedValueFormatException">The data is not a valid value.</exception>
    public static TypedValue Read(ref MessagePackReader reader)
    {
        var path = new ValuePath();
        try
        {
            return ReadValue(ref reader, path, 1);
        }
        catch (EndOfStreamException e)
        {
            throw path.Error("the data ends in the middle of a value (truncated)", e);
        }
        catch (MessagePackSerializationException e)
        {
            throw path.Error($"malformed MessagePack: {e.Message}", e);
        }
        catch (OverflowException e)
        {
            throw path.Error($"a number is out of range: {e.Message}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Safety net: MessagePackReader can throw this for corrupt lengths it does not check.
            throw path.Error($"malformed MessagePack: {e.Message}", e);
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, TypedValue value)
    {
        writer.WriteArrayHeader(2);
        writer.Write((byte)value.Kind);
        switch (value)
        {
            case BoolValue b:
                writer.Write(b.Value);
                break;
            case FloatValue f:
                writer.Write(f.Value);
                break;
            case IntValue i:
                writer.Write(i.Value);
                break;
            case UIntValue u:
                writer.Write(u.Value);
                break;
            case StrValue s:
                writer.Write(s.Value);
                break;
            case ListValue list:
                WriteArray(ref writer, list.Items.AsSpan());
                break;
            case SetValue set:
                WriteArray(ref writer, set.Items.AsSpan());
                break;
            case MapValue map:
                WriteMap(ref writer, map);
                break;
            default:
                throw new InvalidOperationException($"Unknown value kind {value.Kind}.");
        }
    }

    private static void WriteArray(ref MessagePackWriter writer, ReadOnlySpan<TypedValue> items)
    {
        writer.WriteArrayHeader(items.Length);
        foreach (var item in items)
            WriteValue(ref writer, item);
    }

    private static void WriteMap(ref MessagePackWriter writer, MapValue map)
    {
        writer.WriteMapHeader(map.Count);
        foreach (var entry in map.Entries)
        {
            writer.Write(entry.Key);
            WriteValue(ref writer, entry.Value);
        }
    }

    private static TypedValue ReadValue(ref MessagePackReader reader, ValuePath path, int depth)
    {
        if (depth > TypedValue.MaxDepth)
            throw path.Error($"values are nested more than {TypedValue.MaxDepth} levels deep");
        Expect(ref reader, path, MessagePackType.Array, "a [tag, payload] array");
        var length = reader.ReadArrayHeader();
        if (length != 2)
            throw path.Error($"expected a [tag, payload] array of 2 elements, found {length} elements");

        Expect(ref reader, path, MessagePackType.Integer, "a type tag");
        var tag = reader.ReadInt64();
        if (tag is < (long)TypedValueKind.Bool or > (long)TypedValueKind.UInt)
            throw path.Error($"unknown type tag {tag.ToString(CultureInfo.InvariantCulture)}; valid tags are 0 (Bool) to 7 (UInt)");

        var kind = (TypedValueKind)tag;
        path.PushName(TypedValueJson.TagName(kind));
        var value = ReadPayload(ref reader, path, kind, depth);
        path.Pop();
        return value;
    }

    private static TypedValue ReadPayload(ref MessagePackReader reader, ValuePath path, TypedValueKind kind, int depth)
    {
        switch (kind)
        {
            case TypedValueKind.Bool:
                Expect(ref reader, path, MessagePackType.Boolean, "a boolean");
                return TypedValue.Bool(reader.ReadBoolean());
            case TypedValueKind.Float:
                return ReadFloat(ref reader, path);
            case TypedValueKind.Int:
                Expect(ref reader, path, MessagePackType.Integer, "an integer");
                return TypedValue.Int(reader.ReadInt64());
            case TypedValueKind.UInt:
                Expect(ref reader, path, MessagePackType.Integer, "an integer");
                return TypedValue.UInt(reader.ReadUInt64());
            case TypedValueKind.Str:
                return new StrValue(ReadText(ref reader, path, "a string"), trusted: true);
            case TypedValueKind.List:
                return ListValue.Create(ReadElements(ref reader, path, depth, sorted: false));
            case TypedValueKind.Set:
                var items = ReadElements(ref reader, path, depth, sorted: true);
                return SetValue.CreateCanonical(items, Depth(items));
            default:
                return ReadMap(ref reader, path, depth);
        }
    }

    private static FloatValue ReadFloat(ref MessagePackReader reader, ValuePath path)
    {
        if (reader.NextCode != MessagePackCode.Float64)
            throw path.Error($"expected a float64, found {Describe(ref reader)}");
        var number = reader.ReadDouble();
        if (!double.IsFinite(number))
            throw path.Error($"a Float must be finite, found {number.ToString(CultureInfo.InvariantCulture)}");
        return TypedValue.Float(number);
    }

    private static TypedValue[] ReadElements(ref MessagePackReader reader, ValuePath path, int depth, bool sorted)
    {
        Expect(ref reader, path, MessagePackType.Array, "an array of values");
        var items = new TypedValue[reader.ReadArrayHeader()];
        path.PushIndex(0);
        for (var i = 0; i < items.Length; i++)
        {
            path.SetIndex(i);
            items[i] = ReadValue(ref reader, path, depth + 1);
            if (sorted && i > 0 && items[i - 1].CompareTo(items[i]) >= 0)
                throw path.Error("Set elements must be strictly ascending (sorted, without duplicates); the data is not canonical");
        }

        path.Pop();
        return items;
    }

    private static MapValue ReadMap(ref MessagePackReader reader, ValuePath path, int depth)
    {
        Expect(ref reader, path, MessagePackType.Map, "a map of string keys to values");
        var entries = new KeyValuePair<string, TypedValue>[reader.ReadMapHeader()];
        for (var i = 0; i < entries.Length; i++)
        {
            var key = ReadText(ref reader, path, "a string map key");
            path.PushKey(key);
            if (i > 0 && Utf8OrdinalComparer.CompareChars(entries[i - 1].Key, key) >= 0)
                throw path.Error("Map keys must be strictly ascending in UTF-8 byte order; the data is not canonical");
            entries[i] = new(key, ReadValue(ref reader, path, depth + 1));
            path.Pop();
        }

        var deepest = 0;
        foreach (var entry in entries)
            deepest = Math.Max(deepest, entry.Value.Depth);
        return MapValue.CreateCanonical(entries, deepest + 1);
    }

    private static string ReadText(ref MessagePackReader reader, ValuePath path, string what)
    {
        Expect(ref reader, path, MessagePackType.String, what);
        EnsureStringFits(ref reader, path);
        var bytes = reader.ReadStringSequence()!.Value;
        return bytes.IsSingleSegment ? DecodeUtf8(bytes.FirstSpan, path) : DecodeUtf8(bytes.ToArray(), path);
    }

    // MessagePack 2.5 casts a str32 length to int and throws ArgumentOutOfRangeException when it
    // is 2^31 or more, so check the declared length against the remaining bytes first.
    private static void EnsureStringFits(ref MessagePackReader reader, ValuePath path)
    {
        var rest = reader.Sequence.Slice(reader.Position);
        Span<byte> header = stackalloc byte[5];
        header = header[..(int)Math.Min(header.Length, rest.Length)];
        rest.Slice(0, header.Length).CopyTo(header);

        var (headerLength, declared) = header[0] switch
        {
            MessagePackCode.Str8 when header.Length >= 2 => (2, header[1]),
            MessagePackCode.Str16 when header.Length >= 3 => (3, BinaryPrimitives.ReadUInt16BigEndian(header[1..])),
            MessagePackCode.Str32 when header.Length >= 5 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(header[1..])),
            MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32 => (header.Length + 1, 0L),
            var code => (1, code & 0x1FL),
        };
        if (headerLength + declared > rest.Length)
            throw path.Error("the data ends in the middle of a value (truncated)");
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes, ValuePath path) =>
        Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw path.Error("a string is not valid UTF-8");

    private static int Depth(TypedValue[] items)
    {
        var deepest = 0;
        foreach (var item in items)
            deepest = Math.Max(deepest, item.Depth);
        return deepest + 1;
    }

    private static void Expect(ref MessagePackReader reader, ValuePath path, MessagePackType type, string what)
    {
        if (reader.NextMessagePackType != type)
            throw path.Error($"expected {what}, found {Describe(ref reader)}");
    }

    private static string Describe(ref MessagePackReader reader)
    {
        var code = reader.NextCode;
        return $"a MessagePack {reader.NextMessagePackType} (code 0x{code:x2})";
    }
}
