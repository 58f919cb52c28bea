// Histories that are NOT linearizable: the checker must reject every one, name the key, and
// explain the failure in terms a developer can check against the history by hand.
namespace KvDb.Tests.Linearizability;

public class KnownBadHistoryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CheckResult ShouldNotBeLinearizable(HistoryBuilder history, params string[] violatingKeys)
    {
        var result = LinearizabilityChecker.Check(history.Build(), Timeout);
        result.IsLinearizable.Should().BeFalse("the history has no legal order");
        result.TimedOut.Should().BeFalse();
        result.ViolatingKeys.Should().Equal(violatingKeys.Length == 0 ? new[] { "k" } : violatingKeys);
        result.Explanation.Should().NotBeNullOrWhiteSpace();
        return result;
    }

    [Fact]
    public void A_read_that_starts_after_a_write_returned_must_not_see_the_older_value()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Put(1, "b", 2, 3)
            .Get(2, "a", 4, 5));

        result.Explanation.Should()
            .Contain("#2").And
            .Contain("it read \"a\" but the register holds \"b\"");
    }

    [Fact]
    public void A_read_must_not_return_a_value_nobody_wrote()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 10)
            .Get(2, "ghost", 1, 9));

        result.Explanation.Should().Contain("it read \"ghost\"");
    }

    [Fact]
    public void A_read_of_a_key_never_written_must_find_nothing()
        => ShouldNotBeLinearizable(new HistoryBuilder().Get(1, "a", 0, 1));

    [Fact]
    public void Two_sequential_reads_must_not_go_back_in_time()
        // Both reads overlap the put of "b", so each alone is fine; in sequence they are not.
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Put(1, "b", 2, 20)
            .Get(2, "b", 3, 4)
            .Get(2, "a", 5, 6));

    [Fact]
    public void An_observed_write_with_unknown_outcome_must_not_disappear_again()
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .PutUnknown(1, "x", 0, 1)
            .Get(2, "x", 2, 3)
            .Get(2, null, 4, 5));

    [Theory]
    [InlineData("c")]
    [InlineData("a")]
    public void A_final_read_after_everything_returned_must_see_the_last_acknowledged_write(string lost)
        // "e" has an unknown outcome and might still land, but it cannot bring back "a" or "c".
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 4)
            .Put(2, "b", 1, 5)
            .Put(3, "c", 2, 3)
            .Put(1, "d", 6, 7)
            .PutUnknown(2, "e", 6, 8)
            .Get(3, lost, 20, 21));

    [Fact]
    public void A_final_read_may_see_a_write_with_unknown_outcome_instead_of_the_last_acknowledged_one()
    {
        // The counterpart of the test above: the same history is fine when the final read sees "e".
        var history = new HistoryBuilder()
            .Put(1, "a", 0, 4)
            .Put(2, "b", 1, 5)
            .Put(3, "c", 2, 3)
            .Put(1, "d", 6, 7)
            .PutUnknown(2, "e", 6, 8)
            .Get(3, "e", 20, 21);

        LinearizabilityChecker.Check(history.Build(), Timeout).IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_compare_and_set_must_not_succeed_when_the_register_holds_another_value()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Cas(2, "b", "c", succeeded: true, 2, 3));

        result.Explanation.Should().Contain("it succeeded but the register holds \"a\", not the expected \"b\"");
    }

    [Fact]
    public void A_compare_and_set_must_not_fail_when_the_register_holds_the_expected_value()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Cas(2, "a", "c", succeeded: false, 2, 3));

        result.Explanation.Should().Contain("its precondition failed but the register holds \"a\"");
    }

    [Fact]
    public void Two_concurrent_compare_and_sets_from_the_same_value_must_not_both_succeed()
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Cas(2, "a", "x", succeeded: true, 2, 10)
            .Cas(3, "a", "y", succeeded: true, 3, 9));

    [Fact]
    public void A_compare_and_set_requiring_absence_must_not_succeed_on_a_present_key()
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Cas(2, null, "b", succeeded: true, 2, 3));

    [Fact]
    public void A_get_after_a_delete_returned_must_find_nothing()
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 1)
            .Delete(2, 2, 3)
            .Get(1, "a", 4, 5));

    [Fact]
    public void A_call_one_tick_after_a_return_is_ordered_after_it()
        // The counterpart of the tie rule: a gap of one tick is a real-time order.
        => ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 0, 5)
            .Add(new Operation(2, "k", KvInput.Get, Outcome.NotFound, HistoryBuilder.Ticks(5) + 1, HistoryBuilder.Ticks(6))));

    [Fact]
    public void A_violation_on_one_key_among_many_is_found_and_named()
    {
        var history = new HistoryBuilder();
        for (var key = 0; key < 50; key++)
        {
            history.ForKey($"key-{key}")
                .Put(key % 7, $"v{key}", key, key + 100)
                .Get((key + 1) % 7, $"v{key}", key + 101, key + 102);
        }
        history.ForKey("key-37").Put(3, "late", 200, 201).Get(4, "v37", 202, 203);

        var result = ShouldNotBeLinearizable(history, "key-37");

        result.Explanation.Should().Contain("Key \"key-37\"");
        result.Explanation.Should().NotContain("Key \"key-36\"").And.NotContain("Key \"key-38\"");
    }

    [Fact]
    public void Every_violating_key_is_listed()
    {
        var history = new HistoryBuilder("b")
            .Put(1, "x", 0, 1).Get(2, "y", 2, 3)
            .ForKey("ok").Put(1, "x", 0, 1).Get(2, "x", 2, 3)
            .ForKey("a").Get(1, "z", 0, 1);

        ShouldNotBeLinearizable(history, "a", "b");
    }

    [Fact]
    public void The_explanation_shows_the_longest_linearizable_prefix_and_the_operations_left_with_times_and_values()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .Put(1, "a", 10, 11)
            .Put(1, "b", 12, 13)
            .Get(2, "a", 14, 15)
            .Put(3, "c", 16, 17));

        var lines = result.Explanation!.Split(Environment.NewLine);
        lines.Should().Contain(l => l.Contains("Key \"k\": 4 operations checked; at most 2 could be put in an order"));
        lines.Should().Contain(l => l.Contains("#0") && l.Contains("client 1") && l.Contains("[+0.000, +1.000]") && l.Contains("Put(\"a\") -> ok") && l.Contains("=> register \"a\""));
        lines.Should().Contain(l => l.Contains("#1") && l.Contains("[+2.000, +3.000]") && l.Contains("=> register \"b\""));
        lines.Should().Contain(l => l.Contains("Register after the prefix: \"b\""));
        lines.Should().Contain(l => l.StartsWith("  --> ") && l.Contains("#2") && l.Contains("client 2") && l.Contains("[+4.000, +5.000]")
            && l.Contains("Get -> \"a\"") && l.Contains("rejected: it read \"a\" but the register holds \"b\""));
        lines.Should().Contain(l => l.Contains("#3") && l.Contains("cannot come yet: called after #2 returned"));
    }

    [Fact]
    public void The_explanation_shows_an_unknown_outcome_as_never_returning()
    {
        var result = ShouldNotBeLinearizable(new HistoryBuilder()
            .PutUnknown(1, "x", 0, 2)
            .Get(2, "x", 3, 4)
            .Get(2, "ghost", 5, 6));

        result.Explanation.Should().Contain("[+0.000, +inf (gave up +2.000)]  Put(\"x\") -> unknown");
    }

    [Fact]
    public void Many_writes_with_unknown_outcome_that_nobody_observed_do_not_stop_a_violation_being_found()
    {
        // Left in, the 40 pending writes would make the search try 2^40 subsets before giving up.
        var history = new HistoryBuilder().Put(1, "a", 0, 1);
        for (var client = 0; client < 40; client++)
            history.PutUnknown(100 + client, $"lost-{client}", 2, 3);
        history.Put(1, "b", 4, 5).Get(2, "a", 6, 7);

        var result = ShouldNotBeLinearizable(history);

        result.Explanation.Should().Contain("40 of them unknown-outcome writes nothing could observe, taken as having had no effect");
    }
}
