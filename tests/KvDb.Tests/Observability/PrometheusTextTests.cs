namespace KvDb.Tests.Observability;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Parses_names_labels_escapes_special_values_and_skips_comments()
    {
        var text = PrometheusText.Parse("""
            # HELP kvdb_raft_term The current Raft term.
            # TYPE kvdb_raft_term gauge
            kvdb_raft_term 3

            kvdb_raft_role{role="leader"} 1
            http{route="/{**key}",method="PUT", code="204"} 2.5e-3 1700000000000
            odd{path="a\"b\\c\nd"} +Inf
            nan NaN
            """);

        text.Value("kvdb_raft_term").Should().Be(3);
        text.Value("kvdb_raft_role", "role=leader").Should().Be(1);
        text.Value("http", "route=/{**key}", "method=PUT", "code=204").Should().Be(0.0025);
        text.Find("odd").Single().Label("path").Should().Be("a\"b\\c\nd");
        text.Value("odd").Should().Be(double.PositiveInfinity);
        double.IsNaN(text.Value("nan")!.Value).Should().BeTrue();
        text.Value("missing").Should().BeNull();
        text.Samples.Should().HaveCount(5);
    }

    [Fact]
    public void Rejects_a_line_that_is_not_a_sample()
    {
        var parse = () => PrometheusText.Parse("kvdb_raft_term{role=leader} 1");
        parse.Should().Throw<FormatException>().WithMessage("*Line 1*");
    }
}
