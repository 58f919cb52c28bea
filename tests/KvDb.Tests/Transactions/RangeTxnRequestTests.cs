// POST /v1/txn's range comparisons as the server reads them: a comparison with "prefix" or
// "start"/"end" makes the transaction a RangeTxnCommand (its own command kind), one without stays
// a TxnCommand every release applies, and forms an older server would misread ("key" with "end",
// etcd's "rangeEnd") or that mean nothing (count of one key) are 400; the client and the CLI
// write what the server reads.
using System.Text;
using KvDb.Client;
using KvDb.Core.Transactions;
using KvDb.Node.Transactions;
using TxnOperator = KvDb.Core.Transactions.TxnOperator;
using TxnTarget = KvDb.Core.Transactions.TxnTarget;

namespace KvDb.Tests.Transactions;

public sealed class RangeTxnRequestTests
{
    private static (ParsedTxn? Txn, string? Error) Parse(string body)
        => TxnRequest.Parse(Encoding.UTF8.GetBytes(body), maxOps: 8, maxValueBytes: 1024, idempotencyKey: null);

    [Fact]
    public void A_prefix_or_start_end_comparison_makes_a_range_transaction()
    {
        var (txn, error) = Parse("""
            {"if": [{"prefix": "cfg/", "target": "revision", "op": "<", "value": 58},
                    {"start": "a", "end": "m", "target": "count", "op": "==", "value": 3},
                    {"start": "z", "target": "exists", "op": "==", "value": false},
                    {"key": "k", "target": "version", "op": ">", "value": 0}],
             "then": [{"put": {"key": "cfg/a", "value": "1"}}]}
            """);

        error.Should().BeNull();
        var command = txn!.Command.Should().BeOfType<RangeTxnCommand>().Subject;
        command.Comparisons.Select(static c => (Encoding.UTF8.GetString(c.Key), c.IsRange, c.End is null ? null : Encoding.UTF8.GetString(c.End), c.Target, c.Operator, c.Number))
            .Should().Equal(
                ("cfg/", true, "cfg0", TxnTarget.Revision, TxnOperator.Less, 58L),
                ("a", true, "m", TxnTarget.Count, TxnOperator.Equal, 3L),
                ("z", true, null, TxnTarget.Exists, TxnOperator.Equal, 0L),
                ("k", false, null, TxnTarget.Version, TxnOperator.Greater, 0L));
        command.Validate().Should().BeNull();
    }

    [Fact]
    public void A_transaction_without_range_comparisons_stays_a_plain_txn()
    {
        var (txn, error) = Parse("""{"if": [{"key": "k", "target": "revision", "op": "==", "value": 4}], "then": [{"delete": {"prefix": "tmp/"}}]}""");

        error.Should().BeNull();
        txn!.Command.Should().BeOfType<TxnCommand>().Which.Comparisons.Should().ContainSingle().Which.Target.Should().Be(TxnTarget.Revision);
    }

    [Theory]
    [InlineData("""{"if": [{"key": "a", "end": "b", "target": "revision", "op": "<", "value": 1}]}""", "\"end\" goes with \"start\"")]
    [InlineData("""{"if": [{"key": "a", "rangeEnd": "b", "target": "revision", "op": "<", "value": 1}]}""", "Unknown field \"rangeEnd\" in a comparison")]
    [InlineData("""{"if": [{"key": "a", "prefix": "a", "target": "revision", "op": "<", "value": 1}]}""", "names one of")]
    [InlineData("""{"if": [{"key": "a", "target": "count", "op": "==", "value": 1}]}""", "needs a range")]
    [InlineData("""{"if": [{"start": "z", "end": "a", "target": "count", "op": "==", "value": 1}]}""", "start must not be after end")]
    [InlineData("""{"if": [{"prefix": "a", "target": "count", "op": "==", "value": -1}]}""", "whole number 0 or more")]
    [InlineData("""{"if": [{"target": "count", "op": "==", "value": 1}]}""", "A comparison needs a string \"key\"")]
    public void Range_comparisons_an_older_server_would_misread_or_that_mean_nothing_are_refused(string body, string says)
    {
        var (txn, error) = Parse(body);

        txn.Should().BeNull();
        error.Should().Contain(says);
    }

    [Fact]
    public void The_clients_range_comparisons_are_what_the_server_reads()
    {
        using var kv = new KvClient(new KvClientOptions { Endpoints = [new Uri("http://127.0.0.1:1")] });
        var json = kv.Transaction()
            .If(Compare.Prefix("cfg/").Revision < 58, Compare.Prefix("cfg/").Count == 2, Compare.Range("a", null).Version > 0, Compare.Prefix("").Count > 0)
            .Then(Op.Put("cfg/a", "1"))
            .ToJson();

        json[..json.IndexOf("\"then\"", StringComparison.Ordinal)].Should().NotContain("\"key\"", "a range is sent without \"key\", so a server without ranges refuses it");
        var (txn, error) = TxnRequest.Parse(Encoding.UTF8.GetBytes(json), maxOps: 8, maxValueBytes: 1024, idempotencyKey: null);

        error.Should().BeNull();
        txn!.Command.Should().BeOfType<RangeTxnCommand>().Which.Comparisons
            .Select(static c => (Encoding.UTF8.GetString(c.Key), c.IsRange, c.End is null ? null : Encoding.UTF8.GetString(c.End), c.Target, c.Operator, c.Number))
            .Should().Equal(
                ("cfg/", true, "cfg0", TxnTarget.Revision, TxnOperator.Less, 58L),
                ("cfg/", true, "cfg0", TxnTarget.Count, TxnOperator.Equal, 2L),
                ("a", true, null, TxnTarget.Version, TxnOperator.Greater, 0L),
                ("", true, null, TxnTarget.Count, TxnOperator.Greater, 0L));
    }
}
