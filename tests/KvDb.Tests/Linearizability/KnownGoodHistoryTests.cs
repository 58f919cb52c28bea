// Histories that ARE linearizable: the checker must accept every one. Each test is built so that
// a checker with a specific mistake (wrong tie rule, unknown writes given a finite return,
// keys mixed together, CAS modelled wrongly...) would reject it.
namespace KvDb.Tests.Linearizability;

public class KnownGoodHistoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static void ShouldBeLinearizable(HistoryBuilder history)
    {
        var result = LinearizabilityChecker.Check(history.Build(), Timeout);
        result.IsLinearizable.Should().BeTrue(result.Explanation);
        result.TimedOut.Should().BeFalse();
        result.Explanation.Should().BeNull();
        result.ViolatingKeys.Should().BeEmpty();
    }

    [Fact]
    public void An_empty_history_is_linearizable()
        => ShouldBeLinearizable(new HistoryBuilder());

    [Fact]
    public void A_sequential_history_that_follows_the_register_is_linearizable()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Get(1, null, 0, 1)
            .Put(1, "a", 2, 3)
            .Get(2, "a", 4, 5)
            .Put(2, "b", 6, 7)
            .Get(1, "b", 8, 9)
            .Delete(1, 10, 11)
            .Get(2, null, 12, 13)
            .Put(1, "a", 14, 15)
            .Get(2, "a", 16, 17));

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void A_get_overlapping_a_put_may_see_the_old_or_the_new_value(string seen)
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Put(1, "b", 2, 6)
            .Get(2, seen, 3, 5));

    [Theory]
    [InlineData(null)]
    [InlineData("a")]
    [InlineData("b")]
    public void A_get_concurrent_with_two_puts_may_see_either_or_neither(string? seen)
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 10)
            .Put(2, "b", 1, 9)
            .Get(3, seen, 2, 8));

    [Theory]
    [InlineData("a", "a")]
    [InlineData("b", "b")]
    public void Later_reads_agree_on_which_of_two_concurrent_puts_won(string first, string second)
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 10)
            .Put(2, "b", 1, 9)
            .Get(3, first, 11, 12)
            .Get(1, second, 13, 14));

    [Fact]
    public void A_write_with_unknown_outcome_may_be_observed_long_after_the_client_gave_up()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .PutUnknown(2, "x", 2, 3)
            .Get(3, "a", 4, 5)
            .Put(1, "b", 6, 7)
            .Get(3, "b", 8, 9)
            // Only a pending-forever "x" can land after "b"; with its return at 3 ms it could not.
            .Get(3, "x", 10, 11));

    [Fact]
    public void A_write_with_unknown_outcome_may_never_take_effect()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .PutUnknown(2, "x", 2, 3)
            .Get(3, "a", 4, 5)
            .Get(1, "a", 100, 101));

    [Fact]
    public void A_delete_with_unknown_outcome_may_take_effect_later()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .DeleteUnknown(2, 2, 3)
            .Get(3, "a", 4, 5)
            .Get(3, null, 6, 7));

    [Fact]
    public void Compare_and_set_successes_and_failures_that_match_the_register_are_linearizable()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Cas(1, null, "a", succeeded: true, 0, 1)
            .Cas(1, null, "z", succeeded: false, 2, 3)
            .Cas(2, "a", "b", succeeded: true, 4, 5)
            .Cas(2, "a", "c", succeeded: false, 6, 7)
            .Get(1, "b", 8, 9)
            .Delete(1, 10, 11)
            .Cas(2, "b", "d", succeeded: false, 12, 13)
            .Cas(2, null, "e", succeeded: true, 14, 15)
            .Get(1, "e", 16, 17));

    [Fact]
    public void Of_two_concurrent_compare_and_sets_from_the_same_value_one_wins_and_one_fails()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Cas(2, "a", "x", succeeded: false, 2, 10)
            .Cas(3, "a", "y", succeeded: true, 3, 9)
            .Get(1, "y", 11, 12));

    [Fact]
    public void A_compare_and_set_with_unknown_outcome_may_have_applied()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .CasUnknown(2, "a", "b", 2, 3)
            .Get(1, "b", 4, 5));

    [Fact]
    public void A_write_with_unknown_outcome_that_nobody_read_may_explain_a_failed_compare_and_set()
        // Only "x" landing before the Cas explains its failure, so "x" must not be left out as unobserved.
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .PutUnknown(2, "x", 2, 3)
            .Cas(1, "a", "b", succeeded: false, 4, 5));

    [Fact]
    public void A_delete_then_a_get_finds_nothing()
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Delete(2, 2, 3)
            .Get(1, null, 4, 5));

    [Fact]
    public void A_call_at_the_same_tick_as_a_return_counts_as_concurrent_with_it()
        // Tie rule: the get is called at exactly the tick the put returned, so it may precede it.
        => ShouldBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 5)
            .Get(2, null, 5, 6));

    [Fact]
    public void Keys_are_independent_registers()
        // One register for everything would make the get of "k2" see "a".
        => ShouldBeLinearizable(new HistoryBuilder("k1")
            .Put(1, "a", 0, 1)
            .ForKey("k2").Get(2, null, 2, 3)
            .ForKey("k1").Get(2, "a", 4, 5));

    [Fact]
    public void Operations_may_be_given_in_any_order()
    {
        var history = new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Put(1, "b", 2, 3)
            .Get(2, "b", 4, 5)
            .Build()
            .Reverse()
            .ToList();

        LinearizabilityChecker.Check(history, Timeout).IsLinearizable.Should().BeTrue();
    }
}
