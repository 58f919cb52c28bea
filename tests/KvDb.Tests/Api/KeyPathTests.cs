using System.Text;

namespace KvDb.Tests.Api;

public sealed class KeyPathTests
{
    [Theory]
    [InlineData("my-key", "my-key")]
    [InlineData("a%2Fb", "a/b")]
    [InlineData("a/b", "a/b")]
    [InlineData("%E2%82%AC", "\u20ac")]
    [InlineData("space%20here", "space here")]
    [InlineData("plus+stays", "plus+stays")]
    public void Keys_are_the_percent_decoded_path(string encoded, string expected)
    {
        var (key, text, error) = KeyPath.Decode(encoded);
        error.Should().BeNull();
        text.Should().Be(expected);
        key.Should().Equal(Encoding.UTF8.GetBytes(expected));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("%", "percent-escape")]
    [InlineData("%4", "percent-escape")]
    [InlineData("%GG", "percent-escape")]
    [InlineData("%C3%28", "UTF-8")]
    [InlineData("%FF", "UTF-8")]
    public void Invalid_keys_say_what_is_wrong(string encoded, string expected)
    {
        var (key, _, error) = KeyPath.Decode(encoded);
        key.Should().BeNull();
        error.Should().Contain(expected);
    }

    [Fact]
    public void Keys_are_limited_to_4_KiB_of_UTF8()
    {
        KeyPath.Decode(new string('x', KeyPath.MaxKeyBytes)).Error.Should().BeNull();
        KeyPath.Decode(new string('x', KeyPath.MaxKeyBytes + 1)).Error.Should().Contain("longer than");
        KeyPath.Decode(string.Concat(Enumerable.Repeat("%C3%A9", 2049))).Error.Should().Contain("longer than");
    }
}
