// The transaction builder without a server: what it sends (the POST /v1/txn body) and what it
// refuses before sending.
using System.Text.Json;

namespace KvDb.Client.Tests;

public sealed class TransactionBuilderTests
{
    [Fact]
    public void A_transaction_is_sent_as_the_json_kvdb_documents()
    {
        using var kv = new KvClient(new KvClientOptions { Endpoints = [new Uri("http://127.0.0.1:1")] });
        var json = kv.Transaction()
            .If(Compare.Revision("acct/a") == 41, Compare.Exists("acct/b"), Compare.Absent("acct/c"))
            .If(Compare.Version("v") > 2, Compare.CreateRevision("c") != 0, Compare.Value("s") < "m")
            .Then(Op.Put("acct/a", "70", lease: 9), Op.Put("bin", [0, 255]), Op.Delete("d"), Op.DeletePrefix("tmp/"))
            .Else(Op.Get("acct/a"), Op.RangePrefix("user/", 10), Op.Range("a", "m", 5), Op.DeleteRange("x", null))
            .ToJson();

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        root.GetProperty("if").EnumerateArray().Select(c => c.GetRawText()).Should().Equal(
            """{"key":"acct/a","target":"revision","op":"==","value":41}""",
            """{"key":"acct/b","target":"exists","op":"==","value":true}""",
            """{"key":"acct/c","target":"exists","op":"==","value":false}""",
            """{"key":"v","target":"version","op":"\u003E","value":2}""",
            """{"key":"c","target":"createRevision","op":"!=","value":0}""",
            """{"key":"s","target":"value","op":"\u003C","value":"m"}""");
        root.GetProperty("then").EnumerateArray().Select(o => o.GetRawText()).Should().Equal(
            """{"put":{"key":"acct/a","value":"70","lease":9}}""",
            """{"put":{"key":"bin","valueBase64":"AP8="}}""",
            """{"delete":{"key":"d"}}""",
            """{"delete":{"prefix":"tmp/"}}""");
        root.GetProperty("else").EnumerateArray().Select(o => o.GetRawText()).Should().Equal(
            """{"get":{"key":"acct/a"}}""",
            """{"range":{"prefix":"user/","limit":10}}""",
            """{"range":{"start":"a","end":"m","limit":5}}""",
            """{"delete":{"start":"x"}}""");
    }

    [Fact]
    public void Bad_operations_are_refused_before_anything_is_sent()
    {
        FluentActions.Invoking(() => Compare.Revision("k") == -1).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Compare.Exists("")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Op.Range("m", "a")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Op.RangePrefix("p", 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Op.RangePrefix("p", KvClient.MaxPageSize + 1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Op.Put("k", "v", lease: 0)).Should().Throw<ArgumentOutOfRangeException>();
        (Compare.Version("k") > 3).ToString().Should().Be("version(k) > 3");
    }
}
