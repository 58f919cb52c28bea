// --mix parsing and the choice of operation per request.
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class OperationMixTests
{
    [Theory]
    [InlineData("put=50,get=50", 50, 50, "put=50,get=50")]
    [InlineData("get=50,put=50", 50, 50, "put=50,get=50")]
    [InlineData("put=100", 100, 0, "put=100")]
    [InlineData("GET=100", 0, 100, "get=100")]
    [InlineData(" put = 20 , get = 80 ", 20, 80, "put=20,get=80")]
    [InlineData("put=0,get=100", 0, 100, "get=100")]
    public void Valid_mixes_parse(string text, int put, int get, string canonical)
    {
        var mix = OperationMix.Parse(text);
        mix.Percent(OperationKind.Put).Should().Be(put);
        mix.Percent(OperationKind.Get).Should().Be(get);
        mix.ToString().Should().Be(canonical);
        mix.Has(OperationKind.Get).Should().Be(get > 0);
    }

    [Theory]
    [InlineData("", "kind=percent")]
    [InlineData("put", "kind=percent")]
    [InlineData("put=50,get=40", "adds up to 90%")]
    [InlineData("put=0,get=0", "adds up to 0%")]
    [InlineData("put=150", "from 0 to 100")]
    [InlineData("put=-10,get=110", "from 0 to 100")]
    [InlineData("put=abc", "from 0 to 100")]
    [InlineData("put=50.5,get=49.5", "from 0 to 100")]
    [InlineData("delete=50,get=50", "unknown operation 'delete'")]
    [InlineData("put=50,put=50", "twice")]
    [InlineData("put=50,,get=50", "kind=percent")]
    public void Bad_mixes_say_what_is_wrong_in_one_line(string text, string expected)
    {
        OperationMix.TryParse(text, out var mix, out var error).Should().BeFalse();
        mix.Should().BeNull();
        error.Should().Contain(expected).And.NotContain("\n");
    }

    [Fact]
    public void Each_kind_gets_exactly_its_share_of_the_hundred_rolls()
    {
        var mix = OperationMix.Parse("put=30,get=70");
        var puts = Enumerable.Range(0, 100).Count(roll => mix.Choose(roll) is OperationKind.Put);
        puts.Should().Be(30);
    }

    [Fact]
    public void A_pure_mix_never_chooses_the_other_kind()
    {
        var mix = OperationMix.Parse("get=100");
        var random = new Random(1);
        Enumerable.Range(0, 10_000).Select(_ => mix.Choose(random)).Should().OnlyContain(k => k == OperationKind.Get);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(100)]
    public void Rolls_outside_0_to_99_are_rejected(int roll)
        => FluentActions.Invoking(() => OperationMix.Parse("put=100").Choose(roll)).Should().Throw<ArgumentOutOfRangeException>();
}
