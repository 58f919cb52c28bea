// The MessagePack codec: exact bytes, determinism, round trips, and defensive decoding of
// truncated, garbage, non-canonical and hostile input (only TypedValueFormatException escapes).
using System.Buffers;
using KvDb.Core.Values;
using MessagePack;

namespace KvDb.Tests.Values;

public class TypedValueCodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty));

    private static TypedValueFormatException DecodeFails(byte[] data)
    {
        var decode = () => TypedValueCodec.Decode(data);
        return decode.Should().Throw<TypedValueFormatException>().Which;
    }

    /// <summary>Decodes, allowing only success or the dedicated exception.</summary>
    private static TypedValue? DecodeOrReject(byte[] data)
    {
        try
        {
            return TypedValueCodec.Decode(data);
        }
        catch (TypedValueFormatException)
        {
            return null;
        }
    }

    [Theory]
    [InlineData("false", "92 00 C2")]
    [InlineData("true", "92 00 C3")]
    [InlineData("float-integral", "92 01 CB 3FF0000000000000")]
    [InlineData("int-zero", "92 02 00")]
    [InlineData("int-min", "92 02 D3 8000000000000000")]
    [InlineData("uint-max", "92 07 CF FFFFFFFFFFFFFFFF")]
    [InlineData("str-empty", "92 06 A0")]
    [InlineData("list-empty", "92 03 90")]
    [InlineData("set-empty", "92 05 90")]
    [InlineData("map-empty", "92 04 80")]
    public void Scalars_and_empty_collections_have_the_documented_bytes(string sample, string hex)
    {
        TypedValueCodec.Encode(ValueSamples.Get(sample)).Should().Equal(Hex(hex));
    }

    [Fact]
    public void S2_examples_have_the_documented_bytes()
    {
        var set = TypedValue.Set(TypedValue.Str("is really cool"), TypedValue.Str("is really cool"), TypedValue.UInt(1337));
        TypedValueCodec.Encode(set).Should().Equal(Hex("92 05 92 92 06 AE 6973207265616C6C7920636F6F6C 92 07 CD 0539"));

        var map = TypedValue.Map(("k1", TypedValue.Str("hello")));
        TypedValueCodec.Encode(map).Should().Equal(Hex("92 04 81 A2 6B31 92 06 A5 68656C6C6F"));

        TypedValueCodec.Encode(TypedValue.Int(-1)).Should().Equal(Hex("92 02 FF"));
        TypedValueCodec.Encode(TypedValue.UInt(2)).Should().Equal(Hex("92 07 02"));
    }

    [Theory]
    [MemberData(nameof(ValueSamples.Names), MemberType = typeof(ValueSamples))]
    public void Every_sample_round_trips_and_re_encodes_identically(string name)
    {
        var value = ValueSamples.Get(name);
        var bytes = TypedValueCodec.Encode(value);
        var decoded = TypedValueCodec.Decode(bytes);
        decoded.Should().Be(value);
        decoded.Depth.Should().Be(value.Depth);
        TypedValueCodec.Encode(decoded).Should().Equal(bytes);
        bytes[0].Should().Be(0x92, "every encoding starts with a fixarray of 2, which no UTF-8 text starts with");
    }

    [Fact]
    public void Random_values_round_trip_deterministically()
    {
        var random = new Random(31337);
        for (var i = 0; i < 1000; i++)
        {
            var value = ValueSamples.Random(random);
            var bytes = TypedValueCodec.Encode(value);
            var decoded = TypedValueCodec.Decode(bytes);
            decoded.Should().Be(value);
            TypedValueCodec.Encode(decoded).Should().Equal(bytes);
        }
    }

    [Fact]
    public void Equal_values_built_differently_encode_identically()
    {
        TypedValueCodec.Encode(TypedValue.Set(TypedValue.Int(2), TypedValue.Str("x"), TypedValue.Int(2)))
            .Should().Equal(TypedValueCodec.Encode(TypedValue.Set(TypedValue.Str("x"), TypedValue.Int(2))));
        TypedValueCodec.Encode(TypedValue.Map(("b", TypedValue.Int(1)), ("a", TypedValue.Int(2))))
            .Should().Equal(TypedValueCodec.Encode(TypedValue.Map(("a", TypedValue.Int(2)), ("b", TypedValue.Int(1)))));
        TypedValueCodec.Encode(TypedValue.Float(-0.0)).Should().Equal(TypedValueCodec.Encode(TypedValue.Float(0.0)));
    }

    [Fact]
    public void Encode_into_a_buffer_writer_appends_the_same_bytes()
    {
        var value = ValueSamples.Get("nested");
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(new byte[] { 1, 2 });
        TypedValueCodec.Encode(buffer, value);
        buffer.WrittenSpan[2..].ToArray().Should().Equal(TypedValueCodec.Encode(value));
    }

    [Fact]
    public void Values_embed_in_a_larger_messagepack_structure()
    {
        var first = ValueSamples.Get("map-mixed");
        var second = TypedValue.Int(7);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        TypedValueCodec.Write(ref writer, first);
        writer.Write("between");
        TypedValueCodec.Write(ref writer, second);
        writer.Flush();

        var reader = new MessagePackReader(buffer.WrittenMemory);
        reader.ReadArrayHeader().Should().Be(3);
        TypedValueCodec.Read(ref reader).Should().Be(first);
        reader.ReadString().Should().Be("between");
        TypedValueCodec.Read(ref reader).Should().Be(second);
        reader.End.Should().BeTrue();
    }

    [Fact]
    public void Decoding_works_across_many_small_segments()
    {
        var value = ValueSamples.Get("nested");
        var bytes = TypedValueCodec.Encode(value);
        TypedValueCodec.Decode(OneByteSegments(bytes)).Should().Be(value);
        TypedValueCodec.Decode(OneByteSegments(TypedValueCodec.Encode(ValueSamples.Get("str-unicode")))).Should().Be(ValueSamples.Get("str-unicode"));
    }

    [Fact]
    public void Every_truncation_of_every_sample_is_rejected_with_the_dedicated_exception()
    {
        foreach (var (name, value) in ValueSamples.Named())
        {
            var bytes = TypedValueCodec.Encode(value);
            for (var length = 0; length < bytes.Length; length++)
            {
                var decode = () => TypedValueCodec.Decode(bytes.AsMemory(0, length));
                decode.Should().Throw<TypedValueFormatException>($"{name} cut to {length} of {bytes.Length} bytes");
            }
        }
    }

    [Fact]
    public void Truncation_names_the_location_reached()
    {
        var bytes = TypedValueCodec.Encode(TypedValue.Map(("k1", TypedValue.List(TypedValue.Str("hello")))));
        var error = DecodeFails(bytes[..^2]);
        error.Path.Should().Be("$.Map.k1.List[0].Str");
        error.Reason.Should().Be("the data ends in the middle of a value (truncated)");
    }

    [Fact]
    public void Random_garbage_never_escapes_as_another_exception_type()
    {
        var random = new Random(4242);
        byte[] common = [0x90, 0x91, 0x92, 0x93, 0x80, 0x81, 0xA1, 0xC0, 0xC2, 0xC3, 0xCA, 0xCB, 0xCF, 0xD3, 0xDC, 0xDD, 0xDE, 0xDF, 0xD9, 0xFF, 0x00, 0x05, 0x07];
        for (var i = 0; i < 30000; i++)
        {
            var data = new byte[random.Next(0, 48)];
            for (var j = 0; j < data.Length; j++)
                data[j] = random.Next(3) == 0 ? (byte)random.Next(256) : common[random.Next(common.Length)];
            if (data.Length > 0 && random.Next(2) == 0)
                data[0] = 0x92;
            DecodeOrReject(data);
        }
    }

    [Fact]
    public void Mutated_valid_encodings_decode_to_valid_values_or_are_rejected()
    {
        var random = new Random(777);
        for (var i = 0; i < 5000; i++)
        {
            var data = TypedValueCodec.Encode(ValueSamples.Random(random)).ToList();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(data.Count);
                switch (random.Next(3))
                {
                    case 0:
                        data[at] = (byte)random.Next(256);
                        break;
                    case 1:
                        data.Insert(at, (byte)random.Next(256));
                        break;
                    default:
                        if (data.Count > 1)
                            data.RemoveAt(at);
                        break;
                }
            }

            var decoded = DecodeOrReject(data.ToArray());
            if (decoded is not null)
                TypedValueCodec.Decode(TypedValueCodec.Encode(decoded)).Should().Be(decoded);
        }
    }

    [Theory]
    [InlineData("", "$", "the data ends in the middle of a value (truncated)")]
    [InlineData("C1", "$", "expected a [tag, payload] array, found a MessagePack Unknown (code 0xc1)")]
    [InlineData("02", "$", "expected a [tag, payload] array, found a MessagePack Integer (code 0x02)")]
    [InlineData("93 02 01 01", "$", "expected a [tag, payload] array of 2 elements, found 3 elements")]
    [InlineData("91 02", "$", "expected a [tag, payload] array of 2 elements, found 1 elements")]
    [InlineData("92 08 01", "$", "unknown type tag 8; valid tags are 0 (Bool) to 7 (UInt)")]
    [InlineData("92 FF 01", "$", "unknown type tag -1; valid tags are 0 (Bool) to 7 (UInt)")]
    [InlineData("92 A1 61 01", "$", "expected a type tag, found a MessagePack String (code 0xa1)")]
    [InlineData("92 00 01", "$.Bool", "expected a boolean, found a MessagePack Integer (code 0x01)")]
    [InlineData("92 01 CA 3F800000", "$.Float", "expected a float64, found a MessagePack Float (code 0xca)")]
    [InlineData("92 01 01", "$.Float", "expected a float64, found a MessagePack Integer (code 0x01)")]
    [InlineData("92 01 CB 7FF8000000000000", "$.Float", "a Float must be finite, found NaN")]
    [InlineData("92 01 CB FFF0000000000000", "$.Float", "a Float must be finite, found -Infinity")]
    [InlineData("92 02 C3", "$.Int", "expected an integer, found a MessagePack Boolean (code 0xc3)")]
    [InlineData("92 06 C0", "$.Str", "expected a string, found a MessagePack Nil (code 0xc0)")]
    [InlineData("92 06 A1 FF", "$.Str", "a string is not valid UTF-8")]
    [InlineData("92 06 A3 EDA080", "$.Str", "a string is not valid UTF-8")]
    [InlineData("92 03 91 01", "$.List[0]", "expected a [tag, payload] array, found a MessagePack Integer (code 0x01)")]
    [InlineData("92 03 80", "$.List", "expected an array of values, found a MessagePack Map (code 0x80)")]
    [InlineData("92 04 90", "$.Map", "expected a map of string keys to values, found a MessagePack Array (code 0x90)")]
    [InlineData("92 04 81 01 92 02 01", "$.Map", "expected a string map key, found a MessagePack Integer (code 0x01)")]
    [InlineData("92 05 92 92 02 02 92 02 01", "$.Set[1]", "Set elements must be strictly ascending (sorted, without duplicates); the data is not canonical")]
    [InlineData("92 05 92 92 02 01 92 02 01", "$.Set[1]", "Set elements must be strictly ascending (sorted, without duplicates); the data is not canonical")]
    [InlineData("92 04 82 A1 62 92 02 01 A1 61 92 02 01", "$.Map.a", "Map keys must be strictly ascending in UTF-8 byte order; the data is not canonical")]
    [InlineData("92 04 82 A1 61 92 02 01 A1 61 92 02 01", "$.Map.a", "Map keys must be strictly ascending in UTF-8 byte order; the data is not canonical")]
    [InlineData("92 02 01 00", "$", "1 unexpected bytes after the value")]
    [InlineData("92 03 DD FFFFFFFF", "$.List", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 04 DF FFFFFFFF", "$.Map", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 06 DB FFFFFFFF 61", "$.Str", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 06 DB 80000000 61", "$.Str", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 06 DA 0005 61", "$.Str", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 06 DB 0000", "$.Str", "the data ends in the middle of a value (truncated)")]
    [InlineData("92 04 81 DB FFFFFFFF 61", "$.Map", "the data ends in the middle of a value (truncated)")]
    public void Malformed_bytes_are_rejected_with_path_and_reason(string hex, string path, string reason)
    {
        var error = DecodeFails(Hex(hex));
        error.Path.Should().Be(path);
        error.Reason.Should().Be(reason);
    }

    [Theory]
    [InlineData("92 02 CF FFFFFFFFFFFFFFFF", "$.Int")]
    [InlineData("92 02 CF 8000000000000000", "$.Int")]
    [InlineData("92 07 FF", "$.UInt")]
    [InlineData("92 07 D3 8000000000000000", "$.UInt")]
    public void Integers_outside_the_kinds_range_are_rejected(string hex, string path)
    {
        var error = DecodeFails(Hex(hex));
        error.Path.Should().Be(path);
        error.Reason.Should().StartWith("a number is out of range");
    }

    [Fact]
    public void Integer_boundaries_decode_exactly()
    {
        TypedValueCodec.Decode(Hex("92 02 CF 7FFFFFFFFFFFFFFF")).Should().Be(TypedValue.Int(long.MaxValue));
        TypedValueCodec.Decode(Hex("92 02 D3 8000000000000000")).Should().Be(TypedValue.Int(long.MinValue));
        TypedValueCodec.Decode(Hex("92 07 CF FFFFFFFFFFFFFFFF")).Should().Be(TypedValue.UInt(ulong.MaxValue));
    }

    [Fact]
    public void Non_minimal_integers_and_negative_zero_are_accepted_and_re_encoded_canonically()
    {
        var wideInt = Hex("92 02 D3 0000000000000001");
        TypedValueCodec.Decode(wideInt).Should().Be(TypedValue.Int(1));
        TypedValueCodec.Encode(TypedValueCodec.Decode(wideInt)).Should().Equal(Hex("92 02 01"));

        var negativeZero = TypedValueCodec.Decode(Hex("92 01 CB 8000000000000000"));
        double.IsNegative(((FloatValue)negativeZero).Value).Should().BeFalse();
    }

    [Fact]
    public void The_maximum_depth_decodes_and_one_more_level_is_rejected()
    {
        var deepest = ValueSamples.Nest(TypedValue.Int(1), TypedValue.MaxDepth - 1);
        TypedValueCodec.Decode(TypedValueCodec.Encode(deepest)).Should().Be(deepest);

        // Hand-built: 32 single-element lists around an Int is 33 levels.
        var tooDeep = Enumerable.Repeat(Hex("92 03 91"), TypedValue.MaxDepth).SelectMany(b => b).Concat(Hex("92 02 01")).ToArray();
        var error = DecodeFails(tooDeep);
        error.Reason.Should().Be("values are nested more than 32 levels deep");
        error.Path.Should().Be("$" + string.Concat(Enumerable.Repeat(".List[0]", TypedValue.MaxDepth)));
    }

    [Fact]
    public void A_100k_deep_bomb_fails_cleanly_on_a_small_stack()
    {
        var bomb = Enumerable.Repeat(Hex("92 03 91"), 100_000).SelectMany(b => b).ToArray();
        var mapBomb = Enumerable.Repeat(Hex("92 04 81 A1 6B"), 100_000).SelectMany(b => b).ToArray();
        foreach (var data in new[] { bomb, mapBomb })
        {
            Exception? caught = null;
            var thread = new Thread(
                () =>
                {
                    try
                    {
                        TypedValueCodec.Decode(data);
                    }
                    catch (Exception e)
                    {
                        caught = e;
                    }
                },
                maxStackSize: 256 * 1024);
            thread.Start();
            thread.Join();
            caught.Should().BeOfType<TypedValueFormatException>().Which.Reason.Should().Be("values are nested more than 32 levels deep");
        }
    }

    [Fact]
    public void Encoding_is_distinguishable_from_raw_utf8_text()
    {
        // 0x92 is a UTF-8 continuation byte, so valid text never starts with it.
        TypedValue.FromRawBytes(TypedValueCodec.Encode(TypedValue.Str("hello"))).Should().BeNull();
    }

    private static ReadOnlySequence<byte> OneByteSegments(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
            last = last.Append(bytes.AsMemory(i, 1));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
