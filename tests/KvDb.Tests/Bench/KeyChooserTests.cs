// The key chooser stays inside --keys and spreads over all of it; key names have one width.
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class KeyChooserTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(10_000)]
    public void Every_key_is_inside_the_key_space(int keys)
    {
        var chooser = new KeyChooser(keys, new Random(42));
        for (var i = 0; i < 100_000; i++)
            chooser.Next().Should().BeInRange(0, keys - 1);
    }

    [Fact]
    public void Keys_are_spread_uniformly()
    {
        const int keys = 10;
        const int draws = 100_000;
        var counts = new int[keys];
        var chooser = new KeyChooser(keys, new Random(7));
        for (var i = 0; i < draws; i++)
            counts[chooser.Next()]++;

        // Each key expects 10,000 draws (sd ~95); 5% either way is over 5 sd.
        counts.Should().OnlyContain(c => c > draws / keys * 0.95 && c < draws / keys * 1.05);
    }

    [Fact]
    public void An_empty_key_space_is_rejected()
        => FluentActions.Invoking(() => new KeyChooser(0, new Random())).Should().Throw<ArgumentOutOfRangeException>();

    [Fact]
    public void Key_names_share_one_width_so_request_bodies_share_one_length()
    {
        var space = new KeySpace(10_000, 100);
        space.Key(0).Should().Be("bench-0000");
        space.Key(42).Should().Be("bench-0042");
        space.Key(9_999).Should().Be("bench-9999");
        new KeySpace(1, 0).Key(0).Should().Be("bench-0");
        FluentActions.Invoking(() => space.Key(10_000)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void The_value_has_the_requested_size_and_is_printable()
    {
        var value = new KeySpace(10, 100).Value;
        value.Should().HaveCount(100);
        value.Should().OnlyContain(b => char.IsAsciiLetterOrDigit((char)b));
        value.Distinct().Count().Should().BeGreaterThan(10, "a value of one repeated byte would be unrealistically compressible");
    }
}
