// Scale and time-bound behaviour. No assertion here is about how long anything took: each test
// checks the verdict, and that the check finished within its own timeout rather than giving up.
namespace KvDb.Tests.Linearizability;

public class CheckerScaleTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_linearizable_history_of_10000_operations_on_100_keys_from_16_clients_is_accepted()
    {
        var generated = RandomHistory.Generate(new HistoryShape(Clients: 16, Keys: 100, OperationsPerClient: 625, UnknownWriteRate: 0.02, Seed: 42));
        generated.Operations.Should().HaveCount(10_000);

        var result = LinearizabilityChecker.Check(generated.Operations, Generous);

        result.TimedOut.Should().BeFalse();
        result.IsLinearizable.Should().BeTrue(result.Explanation);
    }

    [Fact]
    public void A_single_stale_read_in_10000_operations_is_found_on_its_key()
    {
        var generated = RandomHistory.Generate(new HistoryShape(Clients: 16, Keys: 100, OperationsPerClient: 625, UnknownWriteRate: 0.02, Seed: 43, WithCas: false));
        var history = generated.Operations;
        var put = history.First(o => o.Input.Kind == OpKind.Put && o.Output == Outcome.Ok && generated.FinalValues[o.Key] != o.Input.Value);
        var end = HistoryBuilder.Ticks(generated.EndMs);
        history.Add(new Operation(99, put.Key, KvInput.Get, Outcome.Found(put.Input.Value!), end, end + 1));

        var result = LinearizabilityChecker.Check(history, Generous);

        result.TimedOut.Should().BeFalse();
        result.IsLinearizable.Should().BeFalse();
        result.ViolatingKeys.Should().Equal(put.Key);
    }

    [Fact]
    public void A_hot_key_with_1600_operations_from_16_overlapping_clients_is_accepted()
    {
        var generated = RandomHistory.Generate(new HistoryShape(Clients: 16, Keys: 1, OperationsPerClient: 100, UnknownWriteRate: 0.05, Seed: 44));

        var result = LinearizabilityChecker.Check(generated.Operations, Generous);

        result.TimedOut.Should().BeFalse();
        result.IsLinearizable.Should().BeTrue(result.Explanation);
    }

    [Fact]
    public void A_check_that_cannot_finish_in_time_reports_a_timeout_not_a_verdict()
    {
        var result = LinearizabilityChecker.Check(Exponential(key: "hard"), TimeSpan.FromMilliseconds(200));

        result.TimedOut.Should().BeTrue();
        result.IsLinearizable.Should().BeFalse();
        result.FoundViolation.Should().BeFalse();
        result.Explanation.Should().Contain("Timed out").And.Contain("\"hard\"");
    }

    [Fact]
    public void A_violation_found_before_the_timeout_is_still_reported()
    {
        // Keys are checked fewest operations first, so the small broken key gets its verdict
        // before the hard one uses up the time.
        var history = Exponential(key: "hard").ToList();
        history.AddRange(new HistoryBuilder("broken").Put(1, "a", 0, 1).Get(2, "b", 2, 3).Build());

        var result = LinearizabilityChecker.Check(history, TimeSpan.FromMilliseconds(200));

        result.TimedOut.Should().BeTrue();
        result.IsLinearizable.Should().BeFalse();
        result.ViolatingKeys.Should().Equal("broken");
        result.Explanation.Should().Contain("Key \"broken\"").And.Contain("Timed out");
    }

    [Fact]
    public void A_check_that_needs_too_many_configurations_gives_up_instead_of_exhausting_memory()
    {
        var result = LinearizabilityChecker.Check(Exponential(key: "hard"), Generous, maxConfigurationsPerKey: 10_000);

        result.TimedOut.Should().BeTrue();
        result.IsLinearizable.Should().BeFalse();
        result.FoundViolation.Should().BeFalse();
        result.Explanation.Should().Contain("memory bound").And.Contain("\"hard\"");
    }

    [Fact]
    public void A_non_positive_timeout_is_refused()
    {
        var check = () => LinearizabilityChecker.Check(Array.Empty<Operation>(), TimeSpan.Zero);

        check.Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <summary>
    /// 30 overlapping puts, then a read of a value none wrote: to refute it the search must try
    /// every subset of the puts (2^30 configurations), far more than any test timeout allows.
    /// </summary>
    private static IReadOnlyList<Operation> Exponential(string key)
    {
        var history = new HistoryBuilder(key);
        for (var client = 0; client < 30; client++)
            history.Put(client, $"v{client}", 0, 10);
        return history.Get(99, "ghost", 11, 12).Build();
    }
}
