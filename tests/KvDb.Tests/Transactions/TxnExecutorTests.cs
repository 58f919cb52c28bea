// Transactions as every member applies them: comparisons on each target, the branch they pick,
// reads that see the transaction's own writes, one revision and one history record for all of
// it, create revisions and versions, and exactly-once replies with an idempotency key.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Transactions;
using KvDb.Core.Watch;
using MessagePack;

namespace KvDb.Tests.Transactions;

public sealed class TxnExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public TxnExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static TxnOperation Put(string key, string value) => new() { Kind = TxnOperationKind.Put, Key = Bytes(key), Value = Bytes(value) };

    private static TxnOperation Get(string key) => new() { Kind = TxnOperationKind.Get, Key = Bytes(key) };

    private static TxnComparison Compare(string key, TxnTarget target, TxnOperator op, long number = 0, string? value = null)
        => new() { Key = Bytes(key), Target = target, Operator = op, Number = number, Bytes = value is null ? null : Bytes(value) };

    private CommandResult Run(long index, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, index * 1000, [command], results);
        return results[0];
    }

    private TxnReply Txn(long index, TxnComparison[] comparisons, TxnOperation[] then, TxnOperation[]? otherwise = null, string? idempotencyKey = null)
    {
        var result = Run(index, new TxnCommand { Comparisons = comparisons, Then = then, Else = otherwise ?? [], IdempotencyKey = idempotencyKey });
        result.Outcome.Should().Be(CommandOutcome.Applied);
        return TxnReply.Decode(result.Reply!);
    }

    private StoredValue? Stored(string key) => store.TryGet(StoreKeys.ForUser(Bytes(key)), out var record) ? StoredValue.Decode(record!) : null;

    [Fact]
    public void Holding_comparisons_run_then_with_every_write_at_the_entrys_revision()
    {
        Run(1, new PutCommand { Key = Bytes("acct/a"), Value = Bytes("100") });
        var reply = Txn(2,
            [Compare("acct/a", TxnTarget.Revision, TxnOperator.Equal, 1), Compare("acct/b", TxnTarget.Exists, TxnOperator.Equal, 0)],
            [Put("acct/a", "70"), Put("acct/b", "30")],
            [Get("acct/a")]);

        reply.Succeeded.Should().BeTrue();
        reply.Results.Select(r => (r.Kind, r.Revision)).Should().Equal((TxnOperationKind.Put, 2L), (TxnOperationKind.Put, 2L));
        Stored("acct/a")!.Value.Revision.Should().Be(2);
        Stored("acct/b")!.Value.Revision.Should().Be(2);

        using var view = store.OpenView();
        var history = ChangeHistory.After(view, 1).ToList();
        history.Should().ContainSingle().Which.Record.Events.Select(e => Encoding.UTF8.GetString(e.Key)).Should().Equal("acct/a", "acct/b");
    }

    [Fact]
    public void A_failing_comparison_runs_else_and_its_gets_read_the_current_state()
    {
        Run(1, new PutCommand { Key = Bytes("k"), Value = Bytes("v1") });
        var reply = Txn(2, [Compare("k", TxnTarget.Value, TxnOperator.Equal, value: "other")], [Put("k", "v2")], [Get("k"), Get("missing")]);

        reply.Succeeded.Should().BeFalse();
        Encoding.UTF8.GetString(reply.Results[0].Item!.Value).Should().Be("v1");
        reply.Results[0].Item!.Revision.Should().Be(1);
        reply.Results[1].Item.Should().BeNull();
        Stored("k")!.Value.Revision.Should().Be(1, "else wrote nothing");
    }

    [Theory]
    [InlineData(TxnTarget.Revision, TxnOperator.Equal, 3, true)]
    [InlineData(TxnTarget.Revision, TxnOperator.Less, 3, false)]
    [InlineData(TxnTarget.Revision, TxnOperator.Greater, 2, true)]
    [InlineData(TxnTarget.CreateRevision, TxnOperator.Equal, 1, true)]
    [InlineData(TxnTarget.Version, TxnOperator.Equal, 2, true)]
    [InlineData(TxnTarget.Version, TxnOperator.NotEqual, 2, false)]
    [InlineData(TxnTarget.Exists, TxnOperator.Equal, 1, true)]
    public void Comparisons_on_revisions_versions_and_existence(TxnTarget target, TxnOperator op, long number, bool holds)
    {
        Run(1, new PutCommand { Key = Bytes("k"), Value = Bytes("a") });
        Run(2, new PutCommand { Key = Bytes("other"), Value = Bytes("x") });
        Run(3, new PutCommand { Key = Bytes("k"), Value = Bytes("b") });
        Txn(4, [Compare("k", target, op, number)], []).Succeeded.Should().Be(holds);
    }

    [Fact]
    public void An_absent_key_has_zero_revisions_and_no_value()
    {
        Txn(1, [Compare("nope", TxnTarget.Revision, TxnOperator.Equal, 0), Compare("nope", TxnTarget.Version, TxnOperator.Equal, 0), Compare("nope", TxnTarget.Value, TxnOperator.NotEqual, value: "")], []).Succeeded.Should().BeTrue();
        Txn(2, [Compare("nope", TxnTarget.Value, TxnOperator.Equal, value: "")], []).Succeeded.Should().BeFalse();
    }

    [Fact]
    public void Reads_see_the_transactions_own_writes_and_deletes_in_order()
    {
        Run(1, new PutCommand { Key = Bytes("r/1"), Value = Bytes("1") });
        Run(2, new PutCommand { Key = Bytes("r/2"), Value = Bytes("2") });
        Run(3, new PutCommand { Key = Bytes("r/3"), Value = Bytes("3") });
        var reply = Txn(4, [], [
            Put("r/0", "0"),
            new TxnOperation { Kind = TxnOperationKind.Delete, Key = Bytes("r/2") },
            Get("r/0"),
            new TxnOperation { Kind = TxnOperationKind.Range, Key = Bytes("r/"), End = Bytes("r0"), Limit = 2 },
            new TxnOperation { Kind = TxnOperationKind.DeleteRange, Key = Bytes("r/"), End = Bytes("r0") },
            new TxnOperation { Kind = TxnOperationKind.Range, Key = Bytes("r/"), End = Bytes("r0") },
        ]);

        reply.Results[1].Deleted.Should().Be(1);
        Encoding.UTF8.GetString(reply.Results[2].Item!.Value).Should().Be("0");
        reply.Results[3].Items!.Select(i => Encoding.UTF8.GetString(i.Key)).Should().Equal("r/0", "r/1");
        reply.Results[3].More.Should().BeTrue();
        reply.Results[4].Deleted.Should().Be(3, "r/0 (written above), r/1 and r/3");
        reply.Results[5].Items.Should().BeEmpty();
        Stored("r/1").Should().BeNull();
    }

    [Fact]
    public void Create_revision_and_version_follow_a_key_through_writes_deletes_and_re_creation()
    {
        Run(1, new PutCommand { Key = Bytes("v"), Value = Bytes("a") });
        Run(2, new PutCommand { Key = Bytes("v"), Value = Bytes("b") });
        Stored("v")!.Value.Should().Match<StoredValue>(s => s.CreateRevision == 1 && s.Version == 2 && s.Revision == 2);
        Run(3, new DeleteCommand { Key = Bytes("v") });
        Txn(4, [], [Put("v", "c")]);
        Stored("v")!.Value.Should().Match<StoredValue>(s => s.CreateRevision == 4 && s.Version == 1);
    }

    [Fact]
    public void A_record_written_before_versions_existed_reads_as_created_at_its_revision()
    {
        var legacy = new byte[] { (byte)ValueKind.Raw, 7, 0, 0, 0, 0, 0, 0, 0, (byte)'x' };
        UserRecord.Revision(legacy).Should().Be(7);
        UserRecord.CreateRevision(legacy).Should().Be(7);
        UserRecord.Version(legacy).Should().Be(1);
        UserRecord.Payload(legacy).ToArray().Should().Equal((byte)'x');
        UserRecord.Version(UserRecord.EncodeOver(legacy, ValueKind.Raw, 9, "y"u8)).Should().Be(2);
    }

    [Fact]
    public void A_retried_transaction_with_an_idempotency_key_answers_its_first_reply_and_applies_once()
    {
        Run(1, new PutCommand { Key = Bytes("n"), Value = Bytes("0") });
        var compare = new[] { Compare("n", TxnTarget.Revision, TxnOperator.Equal, 1) };
        var first = Txn(2, compare, [Put("n", "1")], [Get("n")], idempotencyKey: "once");
        var retry = Run(3, new TxnCommand { Comparisons = compare, Then = [Put("n", "1")], Else = [Get("n")], IdempotencyKey = "once" });

        first.Succeeded.Should().BeTrue();
        retry.Replayed.Should().BeTrue();
        TxnReply.Decode(retry.Reply!).Succeeded.Should().BeTrue("the retry answers the first outcome, though the comparison no longer holds");
        retry.Revision.Should().Be(2);
        Stored("n")!.Value.Revision.Should().Be(2);

        Run(4, new TxnCommand { Comparisons = [], Then = [Put("n", "other")], Else = [], IdempotencyKey = "once" })
            .Outcome.Should().Be(CommandOutcome.IdempotencyKeyReused);
    }

    [Fact]
    public void A_transaction_survives_the_log_codec()
    {
        var txn = new TxnCommand { Comparisons = [Compare("a", TxnTarget.Value, TxnOperator.Greater, value: "x")], Then = [Put("a", "1")], Else = [Get("a")] };
        var (_, commands) = LogEntryCodec.Decode(LogEntryCodec.Encode([txn], 5));
        var decoded = commands.Should().ContainSingle().Which.Should().BeOfType<TxnCommand>().Subject;
        MessagePackSerializer.Serialize(decoded).Should().Equal(MessagePackSerializer.Serialize(txn));
        decoded.Validate().Should().BeNull();
    }
}
