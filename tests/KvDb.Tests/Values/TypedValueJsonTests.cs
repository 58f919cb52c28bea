// Externally tagged JSON: the S2 examples byte for byte, round trips, number and string
// formatting, the request envelope, and every rejection with its path and reason.
using System.Text;
using System.Text.Json;
using KvDb.Core.Values;

namespace KvDb.Tests.Values;

public class TypedValueJsonTests
{
    private static TypedValueFormatException ParseFails(string json)
    {
        var parse = () => TypedValueJson.Parse(json);
        return parse.Should().Throw<TypedValueFormatException>().Which;
    }

    private static TypedValueFormatException EnvelopeFails(string json)
    {
        var parse = () => TypedValueJson.ParseEnvelope(json);
        return parse.Should().Throw<TypedValueFormatException>().Which;
    }

    [Theory]
    [InlineData("{\"key\": \"hello world\", \"value\": {\"Str\": \"world\"}}", "{\"key\":\"hello world\",\"value\":{\"Str\":\"world\"}}")]
    [InlineData("{\"key\": \"s2\", \"value\": {\"Set\": [{\"Str\": \"is really cool\"}, {\"Str\": \"is really cool\"}, {\"UInt\": 1337}]}}",
        "{\"key\":\"s2\",\"value\":{\"Set\":[{\"Str\":\"is really cool\"},{\"UInt\":1337}]}}")]
    [InlineData("{\"key\": \"map-sample\", \"value\": {\"Map\": {\"k1\": {\"Str\": \"hello\"}}}}", "{\"key\":\"map-sample\",\"value\":{\"Map\":{\"k1\":{\"Str\":\"hello\"}}}}")]
    [InlineData("{\"key\": \"hello\", \"value\": {\"UInt\": 2}}", "{\"key\":\"hello\",\"value\":{\"UInt\":2}}")]
    public void S2_examples_parse_and_write_back_in_compact_canonical_form(string request, string expected)
    {
        var envelope = TypedValueJson.ParseEnvelope(request);
        Encoding.UTF8.GetString(TypedValueJson.ToJsonBytes(envelope)).Should().Be(expected);
    }

    [Fact]
    public void S2_set_example_deduplicates_to_two_elements()
    {
        var value = TypedValueJson.Parse("{\"Set\": [{\"Str\": \"is really cool\"}, {\"Str\": \"is really cool\"}, {\"UInt\": 1337}]}");
        value.Should().Be(TypedValue.Set(TypedValue.Str("is really cool"), TypedValue.UInt(1337)));
        ((SetValue)value).Count.Should().Be(2);
        Encoding.UTF8.GetString(value.ToJsonBytes()).Should().Be("{\"Set\":[{\"Str\":\"is really cool\"},{\"UInt\":1337}]}");
    }

    [Fact]
    public void Map_sample_gives_the_expected_model()
    {
        var envelope = TypedValueJson.ParseEnvelope("{\"key\": \"map-sample\", \"value\": {\"Map\": {\"k1\": {\"Str\": \"hello\"}}}}");
        envelope.Key.Should().Be("map-sample");
        envelope.Value.Should().Be(TypedValue.Map(("k1", TypedValue.Str("hello"))));
    }

    [Theory]
    [MemberData(nameof(ValueSamples.Names), MemberType = typeof(ValueSamples))]
    public void Every_sample_round_trips_value_json_value_json(string name)
    {
        var value = ValueSamples.Get(name);
        var json = value.ToJsonBytes();
        var parsed = TypedValueJson.Parse(json);
        parsed.Should().Be(value);
        parsed.Kind.Should().Be(value.Kind);
        parsed.ToJsonBytes().Should().Equal(json);
    }

    [Fact]
    public void Random_values_round_trip_and_the_output_is_valid_json()
    {
        var random = new Random(2024);
        for (var i = 0; i < 500; i++)
        {
            var value = ValueSamples.Random(random);
            var json = value.ToJsonBytes();
            using (JsonDocument.Parse(json))
            {
            }

            TypedValueJson.Parse(json).Should().Be(value, Encoding.UTF8.GetString(json));
        }
    }

    [Fact]
    public void Writing_is_canonical_for_sets_and_maps()
    {
        var map = TypedValueJson.Parse("{\"Map\":{\"b\":{\"Int\":2},\"a\":{\"Set\":[{\"Int\":3},{\"Bool\":true},{\"Int\":3}]}}}");
        map.ToString().Should().Be("{\"Map\":{\"a\":{\"Set\":[{\"Bool\":true},{\"Int\":3}]},\"b\":{\"Int\":2}}}");
    }

    [Fact]
    public void Whitespace_and_escaped_tags_are_accepted()
    {
        TypedValueJson.Parse(" \n{ \"\\u0049nt\" :\t-7 }\r\n").Should().Be(TypedValue.Int(-7));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(-2.0, "-2.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e16")]
    [InlineData(1.5e16, "1.5e16")]
    [InlineData(123456789012345680000.0, "1.2345678901234568e20")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "0.00001")]
    [InlineData(0.000001, "1e-6")]
    [InlineData(1.25e-7, "1.25e-7")]
    [InlineData(double.MaxValue, "1.7976931348623157e308")]
    [InlineData(double.Epsilon, "5e-324")]
    [InlineData(0.0, "0.0")]
    public void Floats_are_written_like_serde_json_and_always_look_like_floats(double number, string expected)
    {
        TypedValue.Float(number).ToString().Should().Be($"{{\"Float\":{expected}}}");
        TypedValueJson.Parse($"{{\"Float\":{expected}}}").Should().Be(TypedValue.Float(number));
    }

    [Fact]
    public void Random_floats_round_trip_exactly_through_json()
    {
        var random = new Random(5);
        for (var i = 0; i < 20000; i++)
        {
            var number = ValueSamples.RandomFinite(random);
            var parsed = (FloatValue)TypedValueJson.Parse(TypedValue.Float(number).ToJsonBytes());
            parsed.Value.Should().Be(number == 0 ? 0.0 : number);
        }
    }

    [Theory]
    [InlineData("{\"Float\":1}", 1.0)]
    [InlineData("{\"Float\":-0}", 0.0)]
    [InlineData("{\"Float\":18446744073709551616}", 18446744073709551616.0)]
    [InlineData("{\"Float\":2E3}", 2000.0)]
    public void The_tag_decides_so_integral_json_numbers_are_floats(string json, double expected)
    {
        var value = TypedValueJson.Parse(json);
        value.Should().BeOfType<FloatValue>().Which.Value.Should().Be(expected);
        value.ToString().Should().MatchRegex(@"^\{""Float"":-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?\}$").And.MatchRegex("[.e]");
    }

    [Fact]
    public void Strings_are_escaped_only_where_json_requires_like_serde_json()
    {
        TypedValue.Str("é😀<>&/'\u007f\u2028").ToString().Should().Be("{\"Str\":\"é😀<>&/'\u007f\u2028\"}");
        TypedValue.Str("\"\\\b\f\n\r\t\u0000\u0001\u001f").ToString().Should().Be("{\"Str\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\"}");
        TypedValue.Map(("k\"😀\n", TypedValue.Bool(true))).ToString().Should().Be("{\"Map\":{\"k\\\"😀\\n\":{\"Bool\":true}}}");
    }

    [Theory]
    [InlineData("{\"Int\":-9223372036854775808}", long.MinValue)]
    [InlineData("{\"Int\":9223372036854775807}", long.MaxValue)]
    [InlineData("{\"Int\":-0}", 0L)]
    public void Int_accepts_the_whole_i64_range(string json, long expected)
    {
        TypedValueJson.Parse(json).Should().Be(TypedValue.Int(expected));
    }

    [Fact]
    public void UInt_accepts_the_whole_u64_range()
    {
        TypedValueJson.Parse("{\"UInt\":18446744073709551615}").Should().Be(TypedValue.UInt(ulong.MaxValue));
        TypedValueJson.Parse("{\"UInt\":0}").Should().Be(TypedValue.UInt(0));
        TypedValue.UInt(ulong.MaxValue).ToString().Should().Be("{\"UInt\":18446744073709551615}");
        TypedValue.Int(long.MinValue).ToString().Should().Be("{\"Int\":-9223372036854775808}");
    }

    [Theory]
    [InlineData("{\"Int\":9223372036854775808}", "9223372036854775808")]
    [InlineData("{\"Int\":-9223372036854775809}", "-9223372036854775809")]
    [InlineData("{\"Int\":1.5}", "1.5")]
    [InlineData("{\"Int\":1.0}", "1.0")]
    [InlineData("{\"Int\":1e2}", "1e2")]
    public void Int_rejects_numbers_that_are_not_whole_i64(string json, string shown)
    {
        var error = ParseFails(json);
        error.Path.Should().Be("$.Int");
        error.Message.Should().Be($"$.Int: 'Int' expects a whole number from -9223372036854775808 to 9223372036854775807, found {shown}");
    }

    [Theory]
    [InlineData("{\"UInt\":18446744073709551616}", "18446744073709551616")]
    [InlineData("{\"UInt\":-1}", "-1")]
    [InlineData("{\"UInt\":2.5}", "2.5")]
    public void UInt_rejects_numbers_that_are_not_whole_u64(string json, string shown)
    {
        var error = ParseFails(json);
        error.Message.Should().Be($"$.UInt: 'UInt' expects a whole number from 0 to 18446744073709551615, found {shown}");
    }

    [Theory]
    [InlineData("{\"Float\":\"NaN\"}")]
    [InlineData("{\"Float\":\"Infinity\"}")]
    [InlineData("{\"Float\":\"-Infinity\"}")]
    public void Float_rejects_nan_and_infinity_spelled_as_strings(string json)
    {
        var error = ParseFails(json);
        error.Path.Should().Be("$.Float");
        error.Reason.Should().Contain("NaN and Infinity cannot be represented in JSON");
    }

    [Theory]
    [InlineData("{\"Float\":NaN}")]
    [InlineData("{\"Float\":Infinity}")]
    [InlineData("{\"Float\":-Infinity}")]
    public void Float_rejects_bare_nan_and_infinity_as_malformed_json(string json)
    {
        ParseFails(json).Reason.Should().StartWith("malformed JSON");
    }

    [Theory]
    [InlineData("{\"Float\":1e400}")]
    [InlineData("{\"Float\":-1e309}")]
    public void Float_rejects_numbers_beyond_the_double_range(string json)
    {
        var error = ParseFails(json);
        error.Path.Should().Be("$.Float");
        error.Reason.Should().StartWith("'Float' expects a number within ±1.7976931348623157e308");
    }

    [Fact]
    public void Unknown_tag_names_the_path_and_the_valid_tags()
    {
        var error = EnvelopeFails("{\"key\":\"k\",\"value\":{\"Set\":[{\"Int\":1},{\"Strr\":\"x\"}]}}");
        error.Path.Should().Be("$.value.Set[1]");
        error.Message.Should().Be("$.value.Set[1]: unknown type tag 'Strr'; valid tags are Bool, Float, Int, List, Map, Set, Str, UInt");
    }

    [Fact]
    public void Deep_errors_name_the_full_path_through_sets_and_maps()
    {
        var error = EnvelopeFails("{\"key\":\"k\",\"value\":{\"Set\":[{\"Int\":1},{\"Map\":{\"k1\":{\"Str\":5}}}]}}");
        error.Path.Should().Be("$.value.Set[1].Map.k1.Str");
        error.Reason.Should().Be("'Str' expects a JSON string, found the number 5");
    }

    [Fact]
    public void Map_keys_that_are_not_plain_names_are_bracketed_in_paths()
    {
        ParseFails("{\"Map\":{\"two words\":{\"Bool\":1}}}").Path.Should().Be("$.Map['two words'].Bool");
        ParseFails("{\"Map\":{\"it's\":{\"Bool\":1}}}").Path.Should().Be("$.Map['it\\'s'].Bool");
        ParseFails("{\"List\":[{\"Bool\":true},{\"Bool\":true},{\"Map\":{\"\":{}}}]}").Path.Should().Be("$.List[2].Map['']");
    }

    [Fact]
    public void Tags_are_case_sensitive()
    {
        ParseFails("{\"str\":\"x\"}").Reason.Should().StartWith("unknown type tag 'str'");
    }

    [Fact]
    public void An_object_with_no_tag_is_rejected()
    {
        var error = ParseFails("{\"List\":[{}]}");
        error.Path.Should().Be("$.List[0]");
        error.Reason.Should().StartWith("a typed value needs exactly one type tag and this object has none");
    }

    [Fact]
    public void An_object_with_two_tags_is_rejected()
    {
        var error = ParseFails("{\"Str\":\"a\",\"Int\":1}");
        error.Path.Should().Be("$");
        error.Reason.Should().Be("a typed value needs exactly one type tag, but after 'Str' there is another: 'Int'");
        ParseFails("{\"Int\":1,\"Int\":2}").Reason.Should().EndWith("another: 'Int'");
    }

    [Theory]
    [InlineData("{\"Bool\":\"true\"}", "$.Bool", "'Bool' expects true or false, found a string")]
    [InlineData("{\"Bool\":1}", "$.Bool", "'Bool' expects true or false, found the number 1")]
    [InlineData("{\"Str\":null}", "$.Str", "'Str' expects a JSON string, found null")]
    [InlineData("{\"Int\":\"1\"}", "$.Int", "'Int' expects a whole number from -9223372036854775808 to 9223372036854775807, found a string")]
    [InlineData("{\"Float\":true}", "$.Float", "'Float' expects a JSON number, found true")]
    [InlineData("{\"List\":{}}", "$.List", "'List' expects a JSON array of typed values, found an object")]
    [InlineData("{\"Set\":null}", "$.Set", "'Set' expects a JSON array of typed values, found null")]
    [InlineData("{\"Map\":[]}", "$.Map", "'Map' expects a JSON object of string keys to typed values, found an array")]
    [InlineData("{\"List\":[1]}", "$.List[0]", "expected a typed value object like {\"Str\": \"text\"}, found the number 1")]
    [InlineData("\"hello\"", "$", "expected a typed value object like {\"Str\": \"text\"}, found a string")]
    [InlineData("[{\"Int\":1}]", "$", "expected a typed value object like {\"Str\": \"text\"}, found an array")]
    public void Wrong_json_tokens_are_rejected_with_path_and_expectation(string json, string path, string reason)
    {
        var error = ParseFails(json);
        error.Path.Should().Be(path);
        error.Reason.Should().Be(reason);
        error.Message.Should().Be($"{path}: {reason}");
    }

    [Theory]
    [InlineData("{\"Int\":1} x")]
    [InlineData("{\"Int\":1}{\"Int\":2}")]
    [InlineData("{\"Int\":1},")]
    public void Trailing_data_is_rejected(string json)
    {
        var error = ParseFails(json);
        error.Path.Should().Be("$");
        error.Reason.Should().StartWith("unexpected data after the JSON value");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{\"Int\":1")]
    [InlineData("{\"List\":[{\"Int\":1},")]
    [InlineData("{\"List\":[{\"Int\":1},]}")]
    [InlineData("{\"Int\":1 /* c */}")]
    [InlineData("{'Int':1}")]
    public void Malformed_or_truncated_json_is_rejected_cleanly(string json)
    {
        ParseFails(json).Reason.Should().MatchRegex("^(malformed JSON|unexpected end)");
    }

    [Fact]
    public void Duplicate_map_keys_are_rejected()
    {
        var error = ParseFails("{\"Map\":{\"a\":{\"Int\":1},\"b\":{\"Int\":2},\"a\":{\"Int\":3}}}");
        error.Path.Should().Be("$.Map");
        error.Reason.Should().Be("duplicate map key 'a'");
    }

    [Fact]
    public void Invalid_utf8_and_lone_surrogate_escapes_are_rejected()
    {
        var invalidUtf8 = "{\"Str\":\"aZb\"}"u8.ToArray();
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'Z')] = 0xFF;
        var parse = () => TypedValueJson.Parse(invalidUtf8);
        var error = parse.Should().Throw<TypedValueFormatException>().Which;
        error.Path.Should().Be("$.Str");

        ParseFails("{\"Str\":\"\\ud800\"}").Reason.Should().Contain("unpaired surrogate");
        ParseFails("{\"Map\":{\"\\udc00\":{\"Int\":1}}}").Path.Should().Be("$.Map");
        TypedValueJson.Parse("{\"Str\":\"\\ud83d\\ude00\"}").Should().Be(TypedValue.Str("😀"));
    }

    [Fact]
    public void Long_user_text_is_truncated_in_messages()
    {
        var tag = new string('x', 10_000);
        var error = ParseFails($"{{\"{tag}\":1}}");
        error.Message.Length.Should().BeLessThan(300);
        error.Reason.Should().Contain("(10000 characters)");
    }

    [Fact]
    public void Values_nested_to_the_maximum_depth_parse()
    {
        var deepest = ValueSamples.Nest(TypedValue.Int(1), TypedValue.MaxDepth - 1);
        TypedValueJson.Parse(deepest.ToJsonBytes()).Should().Be(deepest);
        var envelope = new KeyValueEnvelope("k", deepest);
        TypedValueJson.ParseEnvelope(TypedValueJson.ToJsonBytes(envelope)).Should().Be(envelope);
    }

    [Theory]
    [InlineData("{\"List\":[", "]}")]
    [InlineData("{\"Set\":[", "]}")]
    [InlineData("{\"Map\":{\"k\":", "}}")]
    public void One_level_beyond_the_maximum_depth_is_rejected(string open, string close)
    {
        var json = string.Concat(Enumerable.Repeat(open, TypedValue.MaxDepth)) + "{\"Int\":1}" + string.Concat(Enumerable.Repeat(close, TypedValue.MaxDepth));
        var error = ParseFails(json);
        error.Reason.Should().Be("values are nested more than 32 levels deep");
        error.Path.Should().StartWith("$." + open[2..5]);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{\"List\":[", "]}")]
    [InlineData("{\"Map\":{\"k\":", "}}")]
    [InlineData("{\"a\":", "}")]
    public void Hostile_100k_deep_input_fails_cleanly_on_a_small_stack(string open, string close)
    {
        var json = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, 100_000)) + string.Concat(Enumerable.Repeat(close, 100_000)));
        Exception? caught = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    TypedValueJson.Parse(json);
                }
                catch (Exception e)
                {
                    caught = e;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();

        caught.Should().BeOfType<TypedValueFormatException>();
    }

    [Fact]
    public void Hostile_unclosed_nesting_inside_an_envelope_fails_cleanly()
    {
        var json = "{\"key\":\"k\",\"value\":" + string.Concat(Enumerable.Repeat("{\"List\":[", 100_000));
        var error = EnvelopeFails(json);
        error.Reason.Should().Be("values are nested more than 32 levels deep");
        error.Path.Should().StartWith("$.value.List[0].List[0]");
    }

    [Fact]
    public void Envelope_fields_may_come_in_either_order()
    {
        var expected = new KeyValueEnvelope("hello", TypedValue.UInt(2));
        TypedValueJson.ParseEnvelope("{\"key\":\"hello\",\"value\":{\"UInt\":2}}").Should().Be(expected);
        TypedValueJson.ParseEnvelope("{\"value\":{\"UInt\":2},\"key\":\"hello\"}").Should().Be(expected);
    }

    [Theory]
    [InlineData("{\"value\":{\"UInt\":2}}", "$", "the request has no 'key' field")]
    [InlineData("{\"key\":\"k\"}", "$", "the request has no 'value' field")]
    [InlineData("{}", "$", "the request has no 'key' field")]
    [InlineData("{\"key\":\"k\",\"value\":{\"Int\":1},\"ttl\":5}", "$.ttl", "unknown field 'ttl'; a request has only the fields 'key' and 'value'")]
    [InlineData("{\"Key\":\"k\",\"value\":{\"Int\":1}}", "$.Key", "unknown field 'Key'; a request has only the fields 'key' and 'value'")]
    [InlineData("{\"key\":\"k\",\"key\":\"j\",\"value\":{\"Int\":1}}", "$.key", "the field 'key' appears more than once")]
    [InlineData("{\"key\":\"k\",\"value\":{\"Int\":1},\"value\":{\"Int\":1}}", "$.value", "the field 'value' appears more than once")]
    [InlineData("{\"key\":5,\"value\":{\"Int\":1}}", "$.key", "'key' must be a JSON string, found the number 5")]
    [InlineData("{\"key\":null,\"value\":{\"Int\":1}}", "$.key", "'key' must be a JSON string, found null")]
    [InlineData("{\"key\":\"k\",\"value\":\"v\"}", "$.value", "expected a typed value object like {\"Str\": \"text\"}, found a string")]
    [InlineData("[]", "$", "expected a request object like {\"key\": \"k\", \"value\": {\"Str\": \"v\"}}, found an array")]
    public void Envelope_errors_name_the_field(string json, string path, string reason)
    {
        var error = EnvelopeFails(json);
        error.Path.Should().Be(path);
        error.Reason.Should().Be(reason);
    }

    [Fact]
    public void Envelope_rejects_trailing_data()
    {
        EnvelopeFails("{\"key\":\"k\",\"value\":{\"Int\":1}} {}").Reason.Should().StartWith("unexpected data after the JSON value");
    }

    [Fact]
    public void Envelope_keys_keep_unicode_and_may_be_empty()
    {
        TypedValueJson.ParseEnvelope("{\"key\":\"\",\"value\":{\"Bool\":false}}").Key.Should().BeEmpty();
        var envelope = TypedValueJson.ParseEnvelope("{\"key\":\"\\u00e9 😀\",\"value\":{\"Bool\":false}}");
        envelope.Key.Should().Be("é 😀");
        Encoding.UTF8.GetString(TypedValueJson.ToJsonBytes(envelope)).Should().Be("{\"key\":\"é 😀\",\"value\":{\"Bool\":false}}");
    }

    [Fact]
    public void Write_into_a_callers_writer_produces_the_same_bytes()
    {
        var value = ValueSamples.Get("nested");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, TypedValueJson.WriterOptions))
        {
            writer.WriteStartArray();
            TypedValueJson.Write(writer, value);
            TypedValueJson.Write(writer, value);
            writer.WriteEndArray();
        }

        var single = Encoding.UTF8.GetString(value.ToJsonBytes());
        Encoding.UTF8.GetString(buffer.WrittenSpan).Should().Be($"[{single},{single}]");
        TypedValueJson.ToJsonString(value).Should().Be(single);
    }

    [Fact]
    public void String_overloads_reject_unpaired_surrogates_instead_of_replacing_them()
    {
        var parse = () => TypedValueJson.Parse("{\"Str\":\"a\uD800\"}");
        parse.Should().Throw<TypedValueFormatException>().Which.Reason.Should().Contain("unpaired UTF-16 surrogate");
        var envelope = () => TypedValueJson.ParseEnvelope("{\"key\":\"\uDC00\",\"value\":{\"Int\":1}}");
        envelope.Should().Throw<TypedValueFormatException>().Which.Path.Should().Be("$");
    }

    [Fact]
    public void Envelope_construction_validates_key_and_value()
    {
        var loneSurrogate = () => new KeyValueEnvelope("\uD800", TypedValue.Int(1));
        loneSurrogate.Should().Throw<ArgumentException>().WithParameterName("key");
        var nullKey = () => new KeyValueEnvelope(null!, TypedValue.Int(1));
        nullKey.Should().Throw<ArgumentNullException>();
        var nullValue = () => new KeyValueEnvelope("k", null!);
        nullValue.Should().Throw<ArgumentNullException>().WithParameterName("value");
        new KeyValueEnvelope("k", TypedValue.Int(1)).Should().Be(new KeyValueEnvelope("k", TypedValue.Int(1)));
    }

    [Fact]
    public void A_byte_order_mark_is_not_json_and_is_rejected()
    {
        var parse = () => TypedValueJson.Parse([0xEF, 0xBB, 0xBF, .. "{\"Int\":1}"u8]);
        parse.Should().Throw<TypedValueFormatException>().Which.Reason.Should().StartWith("malformed JSON");
    }

    [Fact]
    public void Parse_string_overload_matches_the_utf8_overload()
    {
        const string json = "{\"List\":[{\"Str\":\"é\"},{\"Float\":2.5}]}";
        TypedValueJson.Parse(json).Should().Be(TypedValueJson.Parse(Encoding.UTF8.GetBytes(json)));
    }
}
