// The value model: canonical construction, equality and hashing, the Rust-compatible total
// order, the Float policy, the depth limit and raw-bytes interpretation.
using System.Text;
using KvDb.Core.Values;

namespace KvDb.Tests.Values;

public class TypedValueModelTests
{
    private static TypedValue I(long v) => TypedValue.Int(v);

    private static TypedValue S(string v) => TypedValue.Str(v);

    [Fact]
    public void Kinds_are_numbered_in_the_reference_declaration_order()
    {
        Enum.GetValues<TypedValueKind>().Select(k => (k.ToString(), (int)k)).Should().Equal(
            ("Bool", 0), ("Float", 1), ("Int", 2), ("List", 3), ("Map", 4), ("Set", 5), ("Str", 6), ("UInt", 7));
    }

    [Fact]
    public void Values_of_different_kinds_order_by_declaration_regardless_of_content()
    {
        TypedValue[] ascending =
        [
            TypedValue.Bool(true),
            TypedValue.Float(-1e300),
            TypedValue.Int(long.MinValue),
            TypedValue.List(),
            TypedValue.Map(),
            TypedValue.Set(),
            TypedValue.Str(""),
            TypedValue.UInt(0),
        ];

        for (var i = 0; i < ascending.Length; i++)
        {
            for (var j = 0; j < ascending.Length; j++)
                Math.Sign(ascending[i].CompareTo(ascending[j])).Should().Be(Math.Sign(i.CompareTo(j)), $"{ascending[i]} vs {ascending[j]}");
        }

        ascending.Reverse().Order().Should().Equal(ascending);
    }

    [Fact]
    public void Scalars_order_by_content_within_their_kind()
    {
        (TypedValue.Bool(false) < TypedValue.Bool(true)).Should().BeTrue();
        (TypedValue.Float(-2.5) < TypedValue.Float(-0.5)).Should().BeTrue();
        (TypedValue.Float(0.5) < TypedValue.Float(1e300)).Should().BeTrue();
        (TypedValue.Int(-1) < TypedValue.Int(0)).Should().BeTrue();
        (TypedValue.Int(long.MaxValue - 1) < TypedValue.Int(long.MaxValue)).Should().BeTrue();
        (TypedValue.UInt(long.MaxValue) < TypedValue.UInt(ulong.MaxValue)).Should().BeTrue();
        (S("a") < S("b")).Should().BeTrue();
        (S("a") < S("aa")).Should().BeTrue();
        (S("B") < S("a")).Should().BeTrue("ordering is by bytes, not culture");
    }

    [Fact]
    public void Numbers_of_different_kinds_are_never_equal()
    {
        TypedValue.Float(1.0).Should().NotBe(TypedValue.Int(1));
        TypedValue.Int(1).Should().NotBe(TypedValue.UInt(1));
        (TypedValue.Float(1e300) < TypedValue.Int(0)).Should().BeTrue();
        (TypedValue.Int(long.MaxValue) < TypedValue.UInt(0)).Should().BeTrue();
    }

    [Fact]
    public void Strings_order_by_utf8_bytes_not_utf16_code_units()
    {
        // U+FF61 is EF BD A1 in UTF-8; U+1F600 is F0 9F 98 80, so Rust puts U+FF61 first.
        // In UTF-16 the emoji starts with the surrogate D83D < FF61, so the ordinal order is reversed.
        const string halfwidth = "\uFF61";
        const string emoji = "😀";
        string.CompareOrdinal(halfwidth, emoji).Should().BePositive("this case is the one where UTF-16 and UTF-8 disagree");

        (S(halfwidth) < S(emoji)).Should().BeTrue();
        (S("x" + halfwidth) < S("x" + emoji + "a")).Should().BeTrue();
        Utf8OrdinalComparer.Instance.Compare(halfwidth, emoji).Should().BeNegative();
        TypedValue.Set(S(emoji), S(halfwidth), S("z")).Items.Should().Equal(S("z"), S(halfwidth), S(emoji));
    }

    [Fact]
    public void String_order_agrees_with_utf8_byte_order_on_random_text()
    {
        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var x = ValueSamples.RandomString(random, 4);
            var y = random.Next(4) == 0 ? x + ValueSamples.RandomString(random, 2) : ValueSamples.RandomString(random, 4);
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Math.Sign(S(x).CompareTo(S(y))).Should().Be(expected, $"comparing {Escape(x)} and {Escape(y)}");
        }
    }

    [Fact]
    public void Lists_compare_lexicographically_with_a_prefix_first()
    {
        var empty = TypedValue.List();
        var one = TypedValue.List(I(1));
        var oneTwo = TypedValue.List(I(1), I(2));
        var oneThree = TypedValue.List(I(1), I(3));
        var two = TypedValue.List(I(2));
        var oneStr = TypedValue.List(I(1), S("a"));

        TypedValue[] ascending = [empty, one, oneTwo, oneThree, oneStr, two];
        ascending.Reverse().Order().Should().Equal(ascending);
        (TypedValue.List(I(9), I(9), I(9)) < TypedValue.List(I(10))).Should().BeTrue("the first element decides, not the length");
    }

    [Fact]
    public void Lists_keep_order_and_duplicates()
    {
        var list = TypedValue.List(I(3), I(1), I(3));
        list.Items.Should().Equal(I(3), I(1), I(3));
        list.Count.Should().Be(3);
        list[2].Should().Be(I(3));
        list.Should().NotBe(TypedValue.List(I(1), I(3), I(3)));
    }

    [Fact]
    public void Sets_are_sorted_and_deduplicated_on_construction()
    {
        var set = TypedValue.Set(S("is really cool"), S("is really cool"), TypedValue.UInt(1337));
        set.Items.Should().Equal(S("is really cool"), TypedValue.UInt(1337));
        set.Count.Should().Be(2);

        var mixed = TypedValue.Set(I(3), TypedValue.Bool(true), I(1), I(3), TypedValue.List(), I(2), I(1));
        mixed.Items.Should().Equal(TypedValue.Bool(true), I(1), I(2), I(3), TypedValue.List());
    }

    [Fact]
    public void Sets_built_in_any_order_are_equal_with_equal_hashes()
    {
        var a = TypedValue.Set(I(1), S("x"), TypedValue.List(I(2)), I(1));
        var b = TypedValue.Set(TypedValue.List(I(2)), S("x"), I(1));
        a.Should().Be(b);
        a.GetHashCode().Should().Be(b.GetHashCode());
        a.ToJsonBytes().Should().Equal(b.ToJsonBytes());
    }

    [Fact]
    public void Set_membership_uses_the_total_order()
    {
        var set = TypedValue.Set(I(5), S("a"), TypedValue.Map(("k", I(1))));
        set.Contains(TypedValue.Map(("k", I(1)))).Should().BeTrue();
        set.Contains(I(5)).Should().BeTrue();
        set.Contains(TypedValue.UInt(5)).Should().BeFalse();
    }

    [Fact]
    public void Sets_compare_as_their_sorted_element_sequences()
    {
        // BTreeSet's Ord: {1, 3} < {2} because 1 < 2; {1} < {1, 2} as a prefix.
        (TypedValue.Set(I(3), I(1)) < TypedValue.Set(I(2))).Should().BeTrue();
        (TypedValue.Set(I(1)) < TypedValue.Set(I(2), I(1))).Should().BeTrue();
        TypedValue.Set(I(2), I(1)).CompareTo(TypedValue.Set(I(1), I(2))).Should().Be(0);
    }

    [Fact]
    public void Map_keys_are_kept_in_utf8_byte_order()
    {
        var map = TypedValue.Map(("b", I(2)), ("😀", I(6)), ("a", I(1)), ("\uFF61", I(5)), ("é", I(4)), ("Z", I(0)), ("", I(-1)));
        map.Entries.Select(e => e.Key).Should().Equal("", "Z", "a", "b", "é", "\uFF61", "😀");
        map.Count.Should().Be(7);
        map["\uFF61"].Should().Be(I(5));
        map.TryGetValue("😀", out var emoji).Should().BeTrue();
        emoji.Should().Be(I(6));
        map.TryGetValue("missing", out _).Should().BeFalse();
        map.Invoking(m => m["missing"]).Should().Throw<KeyNotFoundException>();
    }

    [Fact]
    public void Maps_compare_as_sequences_of_key_value_pairs()
    {
        var a1 = TypedValue.Map(("a", I(1)));
        var a2 = TypedValue.Map(("a", I(2)));
        var a1b0 = TypedValue.Map(("a", I(1)), ("b", I(0)));
        var b0 = TypedValue.Map(("b", I(0)));

        TypedValue[] ascending = [TypedValue.Map(), a1, a1b0, a2, b0];
        ascending.Reverse().Order().Should().Equal(ascending);
        (TypedValue.Map(("a", I(100))) < TypedValue.Map(("b", I(-100)))).Should().BeTrue("the key decides before the value");
    }

    [Fact]
    public void Map_rejects_duplicate_keys_and_bad_keys()
    {
        var duplicate = () => TypedValue.Map(("k", I(1)), ("k", I(2)));
        duplicate.Should().Throw<ArgumentException>().WithMessage("*Duplicate map key 'k'*");

        var loneSurrogate = () => TypedValue.Map(("\uD800", I(1)));
        loneSurrogate.Should().Throw<ArgumentException>().WithMessage("*unpaired*");

        var nullKey = () => TypedValue.Map(new[] { new KeyValuePair<string, TypedValue>(null!, I(1)) });
        nullKey.Should().Throw<ArgumentNullException>();

        var nullValue = () => TypedValue.Map(("k", (TypedValue)null!));
        nullValue.Should().Throw<ArgumentException>().WithMessage("*'k'*null*");
    }

    [Fact]
    public void Collections_reject_null_elements()
    {
        var list = () => TypedValue.List(I(1), null!);
        list.Should().Throw<ArgumentException>().WithMessage("*null*");
        var set = () => TypedValue.Set(new TypedValue[] { null! });
        set.Should().Throw<ArgumentException>().WithMessage("*null*");
    }

    // Test data cannot carry lone surrogates through xunit's serialization (they become U+FFFD),
    // so the theory takes an index and the strings live here.
    private static readonly string[] UnpairedSurrogates = ["\uD800", "a\uDC00b", "\uD83Dx", "x\uD83D", "\uDE00\uD83D"];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Str_rejects_text_with_unpaired_surrogates(int index)
    {
        var text = UnpairedSurrogates[index];
        var create = () => TypedValue.Str(text);
        create.Should().Throw<ArgumentException>().WithMessage("*unpaired*");
    }

    [Fact]
    public void Str_accepts_paired_surrogates_and_rejects_null()
    {
        TypedValue.Str("😀x😀").Value.Should().Be("😀x😀");
        var create = () => TypedValue.Str(null!);
        create.Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Float_rejects_nan_and_infinity(double number)
    {
        var create = () => TypedValue.Float(number);
        create.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*finite*");
    }

    [Fact]
    public void Float_negative_zero_equals_zero_and_is_stored_as_positive_zero()
    {
        var negative = TypedValue.Float(-0.0);
        var positive = TypedValue.Float(0.0);

        double.IsNegative(negative.Value).Should().BeFalse();
        negative.Should().Be(positive);
        negative.CompareTo(positive).Should().Be(0);
        negative.GetHashCode().Should().Be(positive.GetHashCode());
        TypedValue.Set(negative, positive).Count.Should().Be(1);
        negative.ToString().Should().Be("{\"Float\":0.0}");
    }

    [Fact]
    public void Equality_and_order_agree_and_equal_values_hash_equally()
    {
        var random = new Random(99);
        var values = Enumerable.Range(0, 400).Select(_ => ValueSamples.Random(random, 3))
            .Concat(ValueSamples.Named().Select(n => n.Value)).ToList();
        var copies = values.Select(v => TypedValueJson.Parse(v.ToJsonBytes())).ToList();

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not BoolValue)
                values[i].Should().NotBeSameAs(copies[i], "the comparison must be structural");
            values[i].Equals(copies[i]).Should().BeTrue();
            (values[i] == copies[i]).Should().BeTrue();
            values[i].CompareTo(copies[i]).Should().Be(0);
            values[i].GetHashCode().Should().Be(copies[i].GetHashCode());
            for (var j = 0; j < 20; j++)
            {
                var other = values[random.Next(values.Count)];
                (values[i].CompareTo(other) == 0).Should().Be(values[i].Equals(other));
                Math.Sign(values[i].CompareTo(other)).Should().Be(-Math.Sign(other.CompareTo(values[i])));
            }
        }

        new HashSet<TypedValue>(values).SetEquals(copies).Should().BeTrue();
    }

    [Fact]
    public void Order_is_transitive_on_random_values()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 300).Select(_ => ValueSamples.Random(random, 3)).ToList();
        var sorted = values.Order().ToList();
        for (var i = 0; i + 1 < sorted.Count; i++)
        {
            sorted[i].CompareTo(sorted[i + 1]).Should().BeLessThanOrEqualTo(0);
            for (var j = i + 1; j < Math.Min(sorted.Count, i + 30); j++)
                sorted[i].CompareTo(sorted[j]).Should().BeLessThanOrEqualTo(0, $"{sorted[i]} should not exceed {sorted[j]}");
        }
    }

    [Fact]
    public void Null_sorts_first_and_operators_handle_null()
    {
        I(0).CompareTo(null).Should().BePositive();
        (null < I(0)).Should().BeTrue();
        ((TypedValue?)null == null).Should().BeTrue();
        (I(0) == null).Should().BeFalse();
        I(0).Equals((object)"0").Should().BeFalse();
    }

    [Fact]
    public void Depth_counts_nesting_levels_and_is_capped()
    {
        I(1).Depth.Should().Be(1);
        TypedValue.List().Depth.Should().Be(1);
        TypedValue.List(I(1)).Depth.Should().Be(2);
        TypedValue.Map(("a", TypedValue.Set(TypedValue.List(I(1))))).Depth.Should().Be(4);

        var deepest = ValueSamples.Nest(I(1), TypedValue.MaxDepth - 1);
        deepest.Depth.Should().Be(TypedValue.MaxDepth);

        var tooDeep = () => TypedValue.List(deepest);
        tooDeep.Should().Throw<ArgumentException>().WithMessage("*33 levels*maximum is 32*");
        var tooDeepSet = () => TypedValue.Set(deepest);
        tooDeepSet.Should().Throw<ArgumentException>();
        var tooDeepMap = () => TypedValue.Map(("k", deepest));
        tooDeepMap.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Factories_copy_their_input()
    {
        var items = new[] { I(2), I(1) };
        var list = TypedValue.List(items);
        var set = TypedValue.Set(items);
        items[0] = I(99);

        list.Items.Should().Equal(I(2), I(1));
        set.Items.Should().Equal(I(1), I(2));
    }

    [Fact]
    public void FromRawBytes_returns_a_str_for_valid_utf8()
    {
        TypedValue.FromRawBytes(Encoding.UTF8.GetBytes("héllo 😀"))!.Value.Should().Be("héllo 😀");
        TypedValue.FromRawBytes([])!.Value.Should().BeEmpty();
        TypedValue.FromRawBytes([0xEF, 0xBB, 0xBF, (byte)'a'])!.Value.Should().Be("\uFEFFa", "a byte order mark is part of the value");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { (byte)'a', 0x80 })]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    public void FromRawBytes_returns_null_for_invalid_utf8(byte[] raw)
    {
        TypedValue.FromRawBytes(raw).Should().BeNull();
    }

    [Fact]
    public void ToString_is_the_compact_json()
    {
        TypedValue.Set(S("b"), I(1)).ToString().Should().Be("{\"Set\":[{\"Int\":1},{\"Str\":\"b\"}]}");
    }

    private static string Escape(string text) => string.Concat(text.Select(c => $"\\u{(int)c:x4}"));
}
