// Range comparisons as every member applies them (RangeTxnCommand): a comparison over a range
// holds when it holds for every key of it, an empty range compares as one absent key, count
// counts the keys, and "revision < N+1" with "count == C" refuse any put, create or delete in
// the range since N (restore-prefix's guard) while writes outside the range do not matter.
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Transactions;
using KvDb.Core.Watch;

namespace KvDb.Tests.Transactions;

public sealed class RangeTxnExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public RangeTxnExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static TxnRangeComparison Prefix(string prefix, TxnTarget target, TxnOperator op, long number)
        => new() { Key = Bytes(prefix), IsRange = true, End = KvDb.Core.Auth.KeyOrder.PrefixEnd(Bytes(prefix)), Target = target, Operator = op, Number = number };

    private CommandResult Run(long index, params KvCommand[] commands)
    {
        var results = new CommandResult[commands.Length];
        executor.Execute(index, 1, index * 1000, commands, results);
        return results[^1];
    }

    private void Put(long index, string key, string value) => Run(index, new PutCommand { Key = Bytes(key), Value = Bytes(value) });

    // Whether the guard holds: the then branch puts "marker"; the answer says which branch ran.
    private bool Holds(long index, params TxnRangeComparison[] comparisons)
    {
        var result = Run(index, new RangeTxnCommand { Comparisons = comparisons, Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("marker"), Value = [1] }], Else = [] });
        result.Outcome.Should().Be(CommandOutcome.Applied);
        var reply = TxnReply.Decode(result.Reply!);
        (store.TryGet(StoreKeys.ForUser(Bytes("marker")), out var marker) && UserRecord.Revision(marker!) == index).Should().Be(reply.Succeeded, "then ran exactly when the comparisons held");
        return reply.Succeeded;
    }

    private static TxnRangeComparison[] UnchangedSince(string prefix, long revision, long count)
        => [Prefix(prefix, TxnTarget.Revision, TxnOperator.Less, revision + 1), Prefix(prefix, TxnTarget.Count, TxnOperator.Equal, count)];

    [Fact]
    public void The_guard_holds_while_the_prefix_is_as_it_was_whatever_happens_outside_it()
    {
        Put(1, "cfg/a", "1");
        Put(2, "cfg/b", "2");
        Put(3, "cfgx", "outside, just after the prefix");
        Put(4, "cfe", "outside, just before it");

        Holds(5, UnchangedSince("cfg/", 2, 2)).Should().BeTrue();
    }

    [Fact]
    public void A_key_created_in_the_prefix_after_the_revision_refuses_the_guard()
    {
        Put(1, "cfg/a", "1");
        Put(2, "cfg/new", "created by someone else");

        Holds(3, UnchangedSince("cfg/", 1, 1)).Should().BeFalse();
        Holds(4, Prefix("cfg/", TxnTarget.Revision, TxnOperator.Less, 2)).Should().BeFalse("revision alone sees the new key");
    }

    [Fact]
    public void A_write_to_an_untouched_key_of_the_prefix_refuses_the_guard()
    {
        Put(1, "cfg/a", "1");
        Put(2, "cfg/b", "2");
        Put(3, "cfg/b", "rewritten");

        Holds(4, UnchangedSince("cfg/", 2, 2)).Should().BeFalse();
    }

    [Fact]
    public void A_delete_in_the_prefix_refuses_the_guard_through_its_count()
    {
        Put(1, "cfg/a", "1");
        Put(2, "cfg/b", "2");
        Run(3, new DeleteCommand { Key = Bytes("cfg/b") });

        Holds(4, Prefix("cfg/", TxnTarget.Revision, TxnOperator.Less, 3)).Should().BeTrue("the remaining key was not written: revision alone cannot see a delete");
        Holds(5, UnchangedSince("cfg/", 2, 2)).Should().BeFalse();
    }

    [Fact]
    public void Every_key_of_the_range_must_satisfy_the_comparison()
    {
        Put(1, "r/a", "x");
        Put(2, "r/b", "x");
        Put(3, "r/c", "y");

        Holds(4, Prefix("r/", TxnTarget.Version, TxnOperator.Equal, 1)).Should().BeTrue();
        Holds(5, Prefix("r/", TxnTarget.Revision, TxnOperator.Greater, 1)).Should().BeFalse("r/a was written at 1");
        Holds(6, new TxnRangeComparison { Key = Bytes("r/a"), IsRange = true, End = Bytes("r/c"), Target = TxnTarget.Value, Operator = TxnOperator.Equal, Bytes = Bytes("x") }).Should().BeTrue("r/c is past the end");
        Holds(7, new TxnRangeComparison { Key = Bytes("r/a"), IsRange = true, End = null, Target = TxnTarget.Value, Operator = TxnOperator.Equal, Bytes = Bytes("x") }).Should().BeFalse("no end: to the last key, r/c included");
        Holds(8, Prefix("r/", TxnTarget.Count, TxnOperator.Greater, 2)).Should().BeTrue();
        Holds(9, Prefix("r/", TxnTarget.Count, TxnOperator.Less, 3)).Should().BeFalse();
    }

    [Fact]
    public void An_empty_range_compares_as_one_absent_key()
    {
        Put(1, "elsewhere", "x");

        Holds(2, Prefix("none/", TxnTarget.Revision, TxnOperator.Equal, 0)).Should().BeTrue();
        Holds(3, Prefix("none/", TxnTarget.Exists, TxnOperator.Equal, 0)).Should().BeTrue();
        Holds(4, Prefix("none/", TxnTarget.Exists, TxnOperator.Equal, 1)).Should().BeFalse();
        Holds(5, Prefix("none/", TxnTarget.Value, TxnOperator.Equal, 0)).Should().BeFalse("an absent key's value only satisfies !=");
        Holds(6, Prefix("none/", TxnTarget.Count, TxnOperator.Equal, 0)).Should().BeTrue();
    }

    [Fact]
    public void A_range_comparison_sees_the_writes_of_the_same_entry_before_it()
    {
        Put(1, "cfg/a", "1");
        var guard = new RangeTxnCommand { Comparisons = UnchangedSince("cfg/", 1, 1), Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("marker"), Value = [1] }], Else = [] };

        var result = Run(2, new PutCommand { Key = Bytes("cfg/b"), Value = [2] }, guard);

        TxnReply.Decode(result.Reply!).Succeeded.Should().BeFalse("the put before it in the entry created a key of the prefix");
    }

    [Fact]
    public void A_single_key_comparison_in_a_range_transaction_is_compared_as_in_a_txn()
    {
        Put(1, "k", "v");

        Holds(2, new TxnRangeComparison { Key = Bytes("k"), Target = TxnTarget.Revision, Operator = TxnOperator.Equal, Number = 1 }).Should().BeTrue();
        Holds(3, new TxnRangeComparison { Key = Bytes("k"), Target = TxnTarget.Revision, Operator = TxnOperator.Equal, Number = 2 }).Should().BeFalse();
    }

    [Fact]
    public void Validation_keeps_counts_and_ranges_out_of_plain_transactions_and_single_keys()
    {
        TxnOperation[] none = [];
        new TxnCommand { Comparisons = [new TxnComparison { Key = Bytes("k"), Target = TxnTarget.Count }], Then = none, Else = none }.Validate().Should().NotBeNull();
        new RangeTxnCommand { Comparisons = [new TxnRangeComparison { Key = Bytes("k"), Target = TxnTarget.Count }], Then = none, Else = none }.Validate().Should().NotBeNull("count needs a range");
        new RangeTxnCommand { Comparisons = [new TxnRangeComparison { Key = Bytes("k"), End = Bytes("z") }], Then = none, Else = none }.Validate().Should().NotBeNull("an end needs IsRange");
        new RangeTxnCommand { Comparisons = [new TxnRangeComparison { Key = Bytes("z"), IsRange = true, End = Bytes("a") }], Then = none, Else = none }.Validate().Should().NotBeNull("start after end");
        new RangeTxnCommand { Comparisons = [new TxnRangeComparison { Key = [], IsRange = true, Target = TxnTarget.Count }], Then = none, Else = none }.Validate().Should().BeNull("every key");
    }

    [Fact]
    public void The_log_shows_a_range_transaction_with_its_ranges_and_its_outcome()
    {
        var command = new RangeTxnCommand
        {
            Comparisons =
            [
                Prefix("cfg/", TxnTarget.Count, TxnOperator.Equal, 0),
                new TxnRangeComparison { Key = Bytes("a"), IsRange = true, Target = TxnTarget.Revision, Operator = TxnOperator.Less, Number = 5 },
                new TxnRangeComparison { Key = Bytes("k"), Target = TxnTarget.Exists, Operator = TxnOperator.Equal, Number = 0 },
            ],
            Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("cfg/a"), Value = Bytes("1") }],
            Else = [],
        };
        Run(1, command);

        using var view = store.OpenView();
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            CommandRegistry.Default.HandlerOf(command).WriteLogFields(json, command, new LogLineContext(1, revision => ChangeHistory.At(view, revision)));
            json.WriteEndObject();
        }

        using var line = JsonDocument.Parse(stream.ToArray());
        var comparisons = line.RootElement.GetProperty("if");
        comparisons[0].GetRawText().Should().Be("""{"start":"cfg/","end":"cfg0","target":"count","op":"==","value":0}""");
        comparisons[1].GetRawText().Should().Be("""{"start":"a","target":"revision","op":"\u003C","value":5}""");
        comparisons[2].GetRawText().Should().Be("""{"key":"k","target":"exists","op":"==","value":false}""");
        line.RootElement.GetProperty("succeeded").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public void A_range_transaction_travels_as_its_own_command_kind()
    {
        var command = new RangeTxnCommand
        {
            Comparisons = [Prefix("cfg/", TxnTarget.Count, TxnOperator.Equal, 3), new TxnRangeComparison { Key = Bytes("k"), Target = TxnTarget.Value, Bytes = [7] }],
            Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("cfg/a"), Value = [1] }],
            Else = [],
            IdempotencyKey = "r",
        };

        var (_, decoded) = LogEntryCodec.Decode((ReadOnlyMemory<byte>)LogEntryCodec.Encode([command], 1_700_000_000_000));

        decoded.Should().ContainSingle().Which.Should().BeEquivalentTo(command, static o => o.RespectingRuntimeTypes());
        CommandRegistry.Default.HandlerOf(command).Tag.Should().NotBe(CommandRegistry.Default.HandlerOf(new TxnCommand { Comparisons = [], Then = [], Else = [] }).Tag);
        CommandRegistry.Default.HandlerOf(command).LogName.Should().Be("RangeTxn");
    }
}
