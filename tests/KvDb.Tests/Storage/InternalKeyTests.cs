using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class InternalKeyTests
{
    [Fact]
    public void Orders_by_user_key_then_newest_sequence_first()
    {
        var keys = new[]
        {
            InternalKey.Create("b"u8, 5, EntryKind.Put),
            InternalKey.Create("a"u8, 1, EntryKind.Put),
            InternalKey.Create("a"u8, 9, EntryKind.Delete),
            InternalKey.Create("ab"u8, 2, EntryKind.Put),
            InternalKey.Create("a"u8, 3, EntryKind.Put),
        };

        Array.Sort(keys, InternalKeyComparer.Instance);

        keys.Select(k => (TestData.Text(InternalKey.UserKey(k)), InternalKey.Sequence(k)))
            .Should().Equal(("a", 9UL), ("a", 3UL), ("a", 1UL), ("ab", 2UL), ("b", 5UL));
    }

    [Fact]
    public void User_keys_compare_as_unsigned_bytes()
    {
        var low = InternalKey.Create([0x7F], 1, EntryKind.Put);
        var high = InternalKey.Create([0x80], 1, EntryKind.Put);
        InternalKey.Compare(low, high).Should().BeNegative();
    }

    [Fact]
    public void Round_trips_sequence_and_kind()
    {
        var key = InternalKey.Create("k"u8, InternalKey.MaxSequence, EntryKind.Delete);
        InternalKey.Sequence(key).Should().Be(InternalKey.MaxSequence);
        InternalKey.Kind(key).Should().Be(EntryKind.Delete);
        InternalKey.UserKey(key).ToArray().Should().Equal("k"u8.ToArray());
    }

    [Theory]
    [InlineData("abcdefgh", "abzzzzzz")]
    [InlineData("abc", "abcd")]
    [InlineData("a\u00ff", "b")]
    [InlineData("same", "same")]
    public void Separator_lies_between_neighbouring_blocks(string last, string next)
    {
        var a = InternalKey.Create(TestData.Bytes(last), 7, EntryKind.Put);
        var b = InternalKey.Create(TestData.Bytes(next), 3, EntryKind.Put);

        var separator = InternalKey.Separator(a, b);

        InternalKey.Compare(a, separator).Should().BeLessThanOrEqualTo(0);
        InternalKey.Compare(separator, b).Should().BeNegative();
        separator.Length.Should().BeLessThanOrEqualTo(a.Length);
    }

    [Fact]
    public void Separator_shortens_long_keys_that_differ_early()
    {
        var a = InternalKey.Create(TestData.Bytes("a" + new string('x', 500)), 1, EntryKind.Put);
        var b = InternalKey.Create(TestData.Bytes("c" + new string('y', 500)), 1, EntryKind.Put);
        InternalKey.Separator(a, b).Length.Should().Be(1 + InternalKey.TrailerLength);
    }
}
