// The [parser] section's parsers: how a Kafka record becomes a list item's keyspace, key,
// nonce and timestamp (klstore's UTF-8 and number parsers, with the same names).
// Invariants: a parser never throws on a record; it answers null when the record does not hold
// what it needs (a missing header, invalid UTF-8, too many bytes for a number), and the bridge
// then dead-letters the record. Parsing is a pure function of the record, so a replay parses
// every record exactly as the first delivery did.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace KvDb.Kafka;

/// <summary>What the parsers see of a record.</summary>
/// <param name="Topic">Its topic.</param>
/// <param name="Partition">Its partition.</param>
/// <param name="Offset">Its offset in the partition.</param>
/// <param name="Key">Its key bytes, null when it has none.</param>
/// <param name="Headers">Its headers, null when it has none.</param>
internal readonly record struct RecordView(string Topic, int Partition, long Offset, byte[]? Key, Headers? Headers)
{
    /// <summary>The last header named <paramref name="name"/> (Kafka's rule for repeated headers), or null.</summary>
    public byte[]? Header(string name)
        => Headers is not null && Headers.TryGetLastBytes(name, out var bytes) ? bytes : null;
}

/// <summary>A parser that yields text: a keyspace or a key.</summary>
internal abstract class TextParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The text, or null when the record does not hold it.</summary>
    public abstract string? Parse(in RecordView record);

    /// <summary>As written in bridge.toml.</summary>
    public abstract override string ToString();

    /// <summary>Whether, as the key parser, it keeps the records of different partitions (of one topic) in different lists, with Kafka's default partitioner.</summary>
    public virtual bool SeparatesPartitions => false;

    /// <summary>Reads <c>Static(x)</c>, <c>RecordHeader(name)</c>, <c>RecordKey</c> or <c>RecordPartition</c>; throws <see cref="ConfigException"/> otherwise.</summary>
    public static TextParser From(string text, string setting)
    {
        var (kind, argument) = Split(text, setting);
        return (kind, argument) switch
        {
            ("Static", { Length: > 0 } value) => new Fixed(value),
            ("RecordHeader", { Length: > 0 } name) => new FromHeader(name),
            ("RecordKey", null) => new FromKey(),
            ("RecordPartition", null) => new FromPartition(),
            _ => throw new ConfigException(setting, $"'{text}' is not a text parser: use Static(text), RecordHeader(name), RecordKey or RecordPartition"),
        };
    }

    /// <summary>Splits <c>Kind(argument)</c>; argument null when there are no parentheses.</summary>
    internal static (string Kind, string? Argument) Split(string text, string setting)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
            return (text.Trim(), null);
        if (!text.EndsWith(')'))
            throw new ConfigException(setting, $"'{text}' has no closing parenthesis");
        return (text[..open].Trim(), text[(open + 1)..^1]);
    }

    private static string? Utf8(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0)
            return null;
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private sealed class Fixed(string value) : TextParser
    {
        public override string? Parse(in RecordView record) => value;

        public override string ToString() => $"Static({value})";
    }

    private sealed class FromHeader(string name) : TextParser
    {
        public override string? Parse(in RecordView record) => Utf8(record.Header(name));

        public override string ToString() => $"RecordHeader({name})";
    }

    private sealed class FromKey : TextParser
    {
        public override string? Parse(in RecordView record) => Utf8(record.Key);

        public override bool SeparatesPartitions => true;

        public override string ToString() => "RecordKey";
    }

    private sealed class FromPartition : TextParser
    {
        public override string? Parse(in RecordView record) => record.Partition.ToString(CultureInfo.InvariantCulture);

        public override bool SeparatesPartitions => true;

        public override string ToString() => "RecordPartition";
    }
}

/// <summary>A parser that yields a number: a nonce or a timestamp (Unix milliseconds).</summary>
internal abstract class NumberParser
{
    /// <summary>Whether this is <c>None</c>: every record gets no number.</summary>
    public virtual bool IsNone => false;

    /// <summary>Whether the number is the record's offset (so it grows with each record of a partition).</summary>
    public virtual bool IsOffset => false;

    /// <summary>Whether the number is the record's partition (the same for every record of a partition).</summary>
    public virtual bool IsPartition => false;

    /// <summary>The number; false when the record does not hold one. <paramref name="value"/> is null for <c>None</c>.</summary>
    public abstract bool TryParse(in RecordView record, out UInt128? value);

    /// <summary>As written in bridge.toml.</summary>
    public abstract override string ToString();

    /// <summary>Reads one of klstore's number parsers; throws <see cref="ConfigException"/> otherwise.</summary>
    public static NumberParser From(string text, string setting)
    {
        var (kind, argument) = TextParser.Split(text, setting);
        return (kind, argument) switch
        {
            ("None", null) => new NoNumber(),
            ("RecordHeaderBigEndian", { Length: > 0 } name) => new Bytes($"RecordHeaderBigEndian({name})", r => r.Header(name), Endian.Big),
            ("RecordHeaderLittleEndian", { Length: > 0 } name) => new Bytes($"RecordHeaderLittleEndian({name})", r => r.Header(name), Endian.Little),
            ("RecordHeaderUtf8", { Length: > 0 } name) => new Bytes($"RecordHeaderUtf8({name})", r => r.Header(name), Endian.Text),
            ("RecordKeyBigEndian", null) => new Bytes("RecordKeyBigEndian", static r => r.Key, Endian.Big),
            ("RecordKeyLittleEndian", null) => new Bytes("RecordKeyLittleEndian", static r => r.Key, Endian.Little),
            ("RecordKeyUtf8", null) => new Bytes("RecordKeyUtf8", static r => r.Key, Endian.Text),
            ("RecordOffset", null) => new OffsetNumber(),
            ("RecordPartition", null) => new PartitionNumber(),
            _ => throw new ConfigException(setting, $"'{text}' is not a number parser: use None, RecordHeaderBigEndian(name), RecordHeaderLittleEndian(name), RecordHeaderUtf8(name), RecordKeyBigEndian, RecordKeyLittleEndian, RecordKeyUtf8, RecordOffset or RecordPartition"),
        };
    }

    private enum Endian
    {
        Big,
        Little,
        Text,
    }

    private sealed class NoNumber : NumberParser
    {
        public override bool IsNone => true;

        public override bool TryParse(in RecordView record, out UInt128? value)
        {
            value = null;
            return true;
        }

        public override string ToString() => "None";
    }

    private sealed class OffsetNumber : NumberParser
    {
        public override bool IsOffset => true;

        public override bool TryParse(in RecordView record, out UInt128? value)
        {
            value = record.Offset >= 0 ? (UInt128)record.Offset : null;
            return value is not null;
        }

        public override string ToString() => "RecordOffset";
    }

    private sealed class PartitionNumber : NumberParser
    {
        public override bool IsPartition => true;

        public override bool TryParse(in RecordView record, out UInt128? value)
        {
            value = (UInt128)record.Partition;
            return true;
        }

        public override string ToString() => "RecordPartition";
    }

    private sealed class Bytes(string name, Func<RecordView, byte[]?> source, Endian endian) : NumberParser
    {
        public override bool TryParse(in RecordView record, out UInt128? value)
        {
            value = null;
            var bytes = source(record);
            if (bytes is null || bytes.Length == 0)
                return false;
            if (endian is Endian.Text)
            {
                if (!UInt128.TryParse(Encoding.UTF8.GetString(bytes), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    return false;
                value = parsed;
                return true;
            }

            // 1 to 16 bytes, as wide as the number needs: a 4-byte and an 8-byte header both read.
            if (bytes.Length > 16)
                return false;
            Span<byte> wide = stackalloc byte[16];
            wide.Clear();
            if (endian is Endian.Big)
            {
                bytes.CopyTo(wide[(16 - bytes.Length)..]);
                value = BinaryPrimitives.ReadUInt128BigEndian(wide);
            }
            else
            {
                bytes.CopyTo(wide);
                value = BinaryPrimitives.ReadUInt128LittleEndian(wide);
            }

            return true;
        }

        public override string ToString() => name;
    }
}
